#!/usr/bin/env bash
# Benchmark (not a test): repo-server against Debian's nginx on the same published root, same run,
# loopback only. Prints small-file requests/s and large-file MB/s for both and the ratios.
#
#   cargo build --release -p repo-server
#   repo-server/bench/wrk-vs-nginx.sh ROOT [SERVER_BINARY]
#
# ROOT is a published root (catalog_hosted::publish); the script adds bench-large.bin (64 MiB)
# to it. Needs Debian's wrk and nginx(-light).
set -euo pipefail
root=$(realpath "${1:?usage: wrk-vs-nginx.sh ROOT [SERVER_BINARY]}")
bin=${2:-${CARGO_TARGET_DIR:-target}/release/repo-server}
dur=${DURATION:-10s}
conns=${CONNECTIONS:-64}
work=$(mktemp -d)
trap 'kill $rs_pid $ng_pid 2>/dev/null || true; rm -rf "$work"' EXIT
head -c $((64 << 20)) /dev/urandom > "$root/bench-large.bin"
small=/metadata/1.root.json

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rs_port=$(free_port); ng_port=$(free_port)

RUST_LOG=warn "$bin" --root "$root" --bind "127.0.0.1:$rs_port" > "$work/rs.out" 2>&1 &
rs_pid=$!
mkdir -p "$work/tmp"
cat > "$work/nginx.conf" <<CONF
daemon off; pid $work/nginx.pid; error_log $work/error.log; worker_processes 2;
events { worker_connections 4096; }
http { access_log off; include /etc/nginx/mime.types; sendfile on; tcp_nopush on;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen 127.0.0.1:$ng_port; root $root; autoindex off; } }
CONF
nginx -c "$work/nginx.conf" -p "$work" &
ng_pid=$!
sleep 1

run() { # url -> "requests/s bytes/s"
  wrk -t2 -c"$conns" -d"$dur" --latency "$1" > "$work/wrk.txt"
  local rps tr
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt")
  tr=$(awk '/^Transfer\/sec:/ {v=$2; u=substr(v,length(v)-1); n=substr(v,1,length(v)-2);
        m=(u=="GB")?1024:(u=="MB")?1:(u=="KB")?1/1024:1/1048576; printf "%.1f", n*m}' "$work/wrk.txt")
  echo "$rps $tr"
}
read -r rs_small _ < <(run "http://127.0.0.1:$rs_port$small")
read -r ng_small _ < <(run "http://127.0.0.1:$ng_port$small")
read -r _ rs_large < <(run "http://127.0.0.1:$rs_port/bench-large.bin")
read -r _ ng_large < <(run "http://127.0.0.1:$ng_port/bench-large.bin")
rm -f "$root/bench-large.bin"
echo "small file ($small, $(stat -c %s "$root$small") B), $conns connections, $dur:"
echo "  repo-server $rs_small req/s   nginx $ng_small req/s   ratio $(python3 -c "print(f'{$rs_small/$ng_small:.2f}')")"
echo "large file (64 MiB), $conns connections, $dur:"
echo "  repo-server $rs_large MB/s   nginx $ng_large MB/s   ratio $(python3 -c "print(f'{$rs_large/$ng_large:.2f}')")"
