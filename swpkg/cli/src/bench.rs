//! Throughput benchmark (`swpkg bench`): build / verify / extract on a generated tree, next to
//! `tar --zstd -cf`, `tar -I 'zstd -9' -cf`, `tar --zstd -xf` and `sha256sum` on the same tree.
//! Not a test: figures depend on the machine; run it with `--release`.

use ed25519_dalek::SigningKey;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use swpkg_host::build::BuildOptions;
use swpkg_host::Error;

/// One measured step.
#[derive(Debug, Clone)]
pub struct Figure {
    /// What was measured.
    pub what: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Payload megabytes (10^6 bytes) per second.
    pub mb_per_s: f64,
}

/// Results of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Payload bytes in the generated tree.
    pub payload_bytes: u64,
    /// Files in the generated tree.
    pub files: usize,
    /// Size of the built package.
    pub package_bytes: u64,
    /// Size of `tar --zstd` output (default level 3), if tar ran.
    pub tar_zstd_bytes: Option<u64>,
    /// Measured steps.
    pub figures: Vec<Figure>,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const WORDS: &[&str] = &[
    "local", "function", "return", "end", "if", "then", "else", "for", "in", "pairs", "nil",
    "table", "string", "0x7f", "mov", "ldr", "str", "x0", "x1", "bl", "ret", "\n", "\t", "=",
];

/// Generate a deterministic tree of about `bytes` bytes: 40 % incompressible (like packed
/// binaries), 60 % text-like; file sizes from 1 KiB to 2 MiB in nested directories.
pub fn generate_tree(root: &Path, bytes: u64) -> Result<(u64, usize), Error> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut total = 0u64;
    let mut files = 0usize;
    while total < bytes {
        let dir = root.join(format!("d{}/s{}", files % 7, files % 23));
        fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
        let size = match rng.next() % 10 {
            0 => 2 << 20,
            1..=3 => 256 << 10,
            _ => 1024 + (rng.next() % (64 << 10)),
        }
        .min(bytes - total + 1);
        let mut data = Vec::with_capacity(size as usize);
        if files % 5 < 2 {
            while (data.len() as u64) < size {
                data.extend_from_slice(&rng.next().to_le_bytes());
            }
        } else {
            while (data.len() as u64) < size {
                data.extend_from_slice(
                    WORDS[(rng.next() % WORDS.len() as u64) as usize].as_bytes(),
                );
                data.push(b' ');
            }
        }
        data.truncate(size as usize);
        let p = dir.join(format!("f{files:05}.bin"));
        atomic_write::write(&p, &data).map_err(Error::io("cannot write", &p))?;
        total += size;
        files += 1;
    }
    Ok((total, files))
}

fn time<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<(T, f64), Error> {
    let t = Instant::now();
    let r = f()?;
    Ok((r, t.elapsed().as_secs_f64()))
}

fn shell(work: &Path, script: &str) -> Option<f64> {
    let t = Instant::now();
    let st = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(work)
        .status()
        .ok()?;
    st.success().then(|| t.elapsed().as_secs_f64())
}

/// Run the benchmark in `work` (created; removed afterwards unless `keep`).
pub fn run(work: &Path, megabytes: u64, keep: bool) -> Result<Report, Error> {
    fs::create_dir_all(work).map_err(Error::io("cannot create", work))?;
    let root = work.join("tree");
    if root.exists() {
        fs::remove_dir_all(&root).map_err(Error::io("cannot remove", &root))?;
    }
    let (payload, files) = generate_tree(&root, megabytes * 1_000_000)?;
    let manifest = work.join("bench.toml");
    atomic_write::write(
        &manifest,
        "name = \"bench\"\nversion = \"1.0.0\"\ndescription = \"generated\"\nlicense = \"MIT\"\n",
    )
    .map_err(Error::io("cannot write", &manifest))?;
    let key = SigningKey::from_bytes(&[1u8; 32]);
    let vk = key.verifying_key();
    let pkg = work.join("bench.swpkg");
    let out = work.join("extracted");
    let _ = fs::remove_dir_all(&out);
    // Warm the page cache so every contender reads from memory.
    shell(work, "cat tree/*/*/* > /dev/null");
    let mb = payload as f64 / 1e6;
    let mut figures = Vec::new();
    let mut push = |what: &str, s: f64| {
        figures.push(Figure {
            what: what.into(),
            seconds: s,
            mb_per_s: mb / s,
        })
    };
    let (_, s) =
        time(|| swpkg_host::build_package(&manifest, &root, &key, BuildOptions::default(), &pkg))?;
    push("swpkg build (scan + sha256 + tar + zstd -9 + sign)", s);
    let (_, s) = time(|| swpkg_host::verify_package(&pkg, &vk))?;
    push("swpkg verify (zstd -d + tar + sha256 + ed25519)", s);
    let (_, s) = time(|| swpkg_host::extract_package(&pkg, &vk, &out))?;
    push("swpkg extract (verify + write + rename)", s);
    let package_bytes = fs::metadata(&pkg).map(|m| m.len()).unwrap_or(0);
    let mut tar_zstd_bytes = None;
    if let Some(s) = shell(work, "tar --zstd -cf tree.tar.zst -C tree .") {
        push("tar --zstd -cf (zstd level 3, no hashing)", s);
        tar_zstd_bytes = fs::metadata(work.join("tree.tar.zst"))
            .map(|m| m.len())
            .ok();
    }
    if let Some(s) = shell(work, "tar -I 'zstd -9' -cf tree9.tar.zst -C tree .") {
        push("tar -I 'zstd -9' -cf (same level as swpkg)", s);
    }
    if let Some(s) = shell(
        work,
        "find tree -type f -print0 | xargs -0 sha256sum > /dev/null",
    ) {
        push("sha256sum of every file", s);
    }
    if let Some(s) = shell(work, "mkdir -p tx && tar --zstd -xf tree9.tar.zst -C tx") {
        push("tar --zstd -xf (no verification)", s);
    }
    if let Some(s) = shell(
        work,
        "zstd -dc tree9.tar.zst > /dev/null && find tree -type f -print0 | xargs -0 sha256sum > /dev/null",
    ) {
        push("zstd -dc + sha256sum (closest to swpkg verify)", s);
    }
    if !keep {
        for p in ["tree", "extracted", "tx"] {
            let _ = fs::remove_dir_all(work.join(p));
        }
        for p in ["tree.tar.zst", "tree9.tar.zst", "bench.swpkg", "bench.toml"] {
            let _ = fs::remove_file(work.join(p));
        }
    }
    Ok(Report {
        payload_bytes: payload,
        files,
        package_bytes,
        tar_zstd_bytes,
        figures,
    })
}

/// Default work directory: a fresh directory under the system temp dir.
pub fn default_dir() -> PathBuf {
    std::env::temp_dir().join(format!("swpkg-bench-{}", std::process::id()))
}
