//! The static HTML package browser: `index.html` (every package, newest version, with a search
//! box filtering an embedded JSON index by small inline JavaScript — no server, no network, so
//! it works from `file://` too; without JavaScript the full table is still there) and
//! `browse/NAME.html` per package name (every version: size, sha256, download and sidecar
//! links, dependencies, reverse dependencies, files, description).

use std::collections::BTreeMap;

use catalog_core::index::PackageMeta;
use semver::{Version, VersionReq};
use serde_json::json;
use swpkg_core::{EntryKind, Manifest};

use crate::layout::{HostedRepo, BROWSE_DIR, TARGETS_DIR};

/// One published package, as the browser shows it.
#[derive(Debug, Clone)]
pub struct BrowserPackage {
    /// Target path (`packages/NAME-VERSION.swpkg`).
    pub target: String,
    /// Facts from the targets metadata.
    pub meta: PackageMeta,
    /// Package file length.
    pub length: u64,
    /// Package file sha256 (hex).
    pub sha256: String,
    /// The package manifest (files, licence).
    pub manifest: Manifest,
}

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// JSON made safe inside a `<script>` element (no `</`, no `<!--`).
fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn human(n: u64) -> String {
    const U: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {} ({n} bytes)", U[i])
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}\
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25em .5em;border-bottom:1px solid #ddd;vertical-align:top}\
code{font-size:.9em;word-break:break-all}input{font-size:1.1em;width:100%;padding:.3em}.muted{color:#666}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n",
        esc(title)
    )
}

fn version_of(p: &BrowserPackage) -> Version {
    Version::parse(&p.meta.version).unwrap_or_else(|_| Version::new(0, 0, 0))
}

const SEARCH_JS: &str = r#"(function(){
var idx=JSON.parse(document.getElementById('index').textContent);
var q=document.getElementById('q'),out=document.getElementById('results'),all=document.getElementById('all');
function run(){
  var terms=q.value.toLowerCase().split(/\s+/).filter(function(t){return t.length>0;});
  while(out.firstChild){out.removeChild(out.firstChild);}
  if(terms.length===0){all.style.display='';out.style.display='none';return;}
  all.style.display='none';out.style.display='';
  var hits=idx.filter(function(p){
    var hay=(p.name+' '+p.description+' '+p.files.join(' ')).toLowerCase();
    return terms.every(function(t){return hay.indexOf(t)>=0;});
  });
  hits.sort(function(a,b){return (b.name.indexOf(terms[0])===0)-(a.name.indexOf(terms[0])===0)||a.name.localeCompare(b.name);});
  if(hits.length===0){var li=document.createElement('li');li.id='none';li.textContent='No package matches.';out.appendChild(li);}
  hits.forEach(function(p){
    var li=document.createElement('li');li.className='hit';li.setAttribute('data-name',p.name);
    var a=document.createElement('a');a.href=p.page;a.textContent=p.name+' '+p.version;
    li.appendChild(a);li.appendChild(document.createTextNode(' \u2014 '+p.description));out.appendChild(li);
  });
}
q.addEventListener('input',run);
var m=/[?&#]q=([^&]*)/.exec(location.search+location.hash);
if(m){q.value=decodeURIComponent(m[1].replace(/\+/g,' '));}
run();
})();"#;

fn index_page(hosted: &HostedRepo, latest: &[&BrowserPackage]) -> String {
    let entries: Vec<_> = latest
        .iter()
        .map(|p| {
            json!({
                "name": p.meta.name,
                "version": p.meta.version,
                "description": p.meta.description,
                "files": p.manifest.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
                "page": format!("{BROWSE_DIR}/{}.html", p.meta.name),
            })
        })
        .collect();
    let mut rows = String::new();
    for p in latest {
        rows.push_str(&format!(
            "<tr class=\"pkg\" data-name=\"{n}\"><td><a href=\"{BROWSE_DIR}/{n}.html\">{n}</a></td><td>{v}</td><td>{d}</td></tr>\n",
            n = esc(&p.meta.name),
            v = esc(&p.meta.version),
            d = esc(&p.meta.description)
        ));
    }
    let c = &hosted.compatibility;
    let body = format!(
        "<h1>{name} <span class=\"muted\">({channel})</span></h1>\n\
         <p>A signed SwiftOS package repository for <b>{arch}</b>, ABI {abi}: {count} packages. \
         Use it from SwiftOS with <code>pkg repo set URL --root-key repo-root.pub</code> \
         (<a href=\"repo-root.pub\">repo-root.pub</a>, <a href=\"hosted-repo.json\">hosted-repo.json</a>).</p>\n\
         <p><input id=\"q\" type=\"search\" placeholder=\"Search names, descriptions and files\" autofocus></p>\n\
         <ul id=\"results\" style=\"display:none\"></ul>\n\
         <table id=\"all\"><thead><tr><th>Package</th><th>Version</th><th>Description</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n\
         <script type=\"application/json\" id=\"index\">{json}</script>\n<script>{SEARCH_JS}</script>",
        name = esc(&hosted.name),
        channel = esc(&hosted.channel),
        arch = esc(&c.arch),
        abi = c.abi,
        count = latest.len(),
        json = script_json(&serde_json::Value::Array(entries)),
    );
    page(&format!("{} packages", hosted.name), &body)
}

fn dep_link(name: &str, known: &BTreeMap<&str, Vec<&BrowserPackage>>) -> String {
    if known.contains_key(name) {
        format!("<a href=\"{n}.html\">{n}</a>", n = esc(name))
    } else {
        format!(
            "{} <span class=\"muted\">(not in this repository)</span>",
            esc(name)
        )
    }
}

fn package_page(
    hosted: &HostedRepo,
    name: &str,
    versions: &[&BrowserPackage],
    by_name: &BTreeMap<&str, Vec<&BrowserPackage>>,
) -> String {
    let mut body = format!(
        "<p><a href=\"../index.html\">&larr; {} ({})</a></p>\n<h1 id=\"name\">{}</h1>\n",
        esc(&hosted.name),
        esc(&hosted.channel),
        esc(name)
    );
    // Reverse dependencies: every package (any version) whose requirement on `name` exists.
    let mut rdeps = Vec::new();
    for (other, pv) in by_name {
        for p in pv {
            if let Some(req) = p.meta.deps.get(name) {
                rdeps.push(format!(
                    "<li><a href=\"{o}.html\">{o}</a> {v} <span class=\"muted\">needs {r}</span></li>",
                    o = esc(other),
                    v = esc(&p.meta.version),
                    r = esc(req)
                ));
            }
        }
    }
    for p in versions {
        let m = &p.meta;
        let file = p.target.rsplit('/').next().unwrap_or(&p.target);
        let href = format!("../{TARGETS_DIR}/{}", p.target);
        body.push_str(&format!(
            "<section class=\"version\" data-version=\"{v}\"><h2>{n} {v}</h2>\n<p class=\"description\">{d}</p>\n<table>\n\
             <tr><th>Version</th><td>{v}</td></tr>\n<tr><th>Licence</th><td>{lic}</td></tr>\n\
             <tr><th>Installed size</th><td>{isz}</td></tr>\n<tr><th>Package size</th><td>{psz}</td></tr>\n\
             <tr><th>SHA-256</th><td><code class=\"sha256\">{sha}</code></td></tr>\n\
             <tr><th>Download</th><td><a href=\"{href}\">{file}</a> (<a href=\"{href}.sha256\">sha256 sidecar</a>)</td></tr>\n\
             <tr><th>Platform</th><td>{arch}, ABI {abi}</td></tr>\n</table>\n",
            n = esc(&m.name),
            v = esc(&m.version),
            d = esc(&m.description),
            lic = esc(&p.manifest.license),
            isz = human(m.size),
            psz = human(p.length),
            sha = esc(&p.sha256),
            href = esc(&href),
            file = esc(file),
            arch = esc(&m.arch),
            abi = m.abi,
        ));
        body.push_str("<h3>Depends on</h3>\n<ul class=\"depends\">");
        if m.deps.is_empty() {
            body.push_str("<li class=\"muted\">nothing</li>");
        }
        for (d, r) in &m.deps {
            let satisfied = VersionReq::parse(r).ok().and_then(|req| {
                by_name
                    .get(d.as_str())
                    .and_then(|v| v.iter().find(|p| req.matches(&version_of(p))))
            });
            body.push_str(&format!(
                "<li data-dep=\"{}\">{} <span class=\"muted\">{}{}</span></li>",
                esc(d),
                dep_link(d, by_name),
                esc(r),
                satisfied.map_or(String::new(), |s| format!(
                    " (served: {})",
                    esc(&s.meta.version)
                ))
            ));
        }
        body.push_str("</ul>\n");
        body.push_str("<h3>Files</h3>\n<table class=\"files\"><tr><th>Path</th><th>Mode</th><th>Size</th></tr>\n");
        for f in &p.manifest.files {
            let what = match f.kind {
                EntryKind::File => human(f.size),
                EntryKind::Dir => "directory".into(),
                EntryKind::Symlink => format!("&rarr; {}", esc(f.link.as_deref().unwrap_or(""))),
            };
            body.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{:o}</td><td>{}</td></tr>\n",
                esc(&f.path),
                f.mode.0,
                what
            ));
        }
        body.push_str("</table></section>\n");
    }
    body.push_str("<h2>Required by</h2>\n<ul class=\"required-by\">");
    if rdeps.is_empty() {
        body.push_str("<li class=\"muted\">no package in this repository</li>");
    }
    for r in rdeps {
        body.push_str(&r);
    }
    body.push_str("</ul>\n");
    page(&format!("{name} — {}", hosted.name), &body)
}

/// Render every page: `(path relative to the web root, HTML)`.
pub fn render(hosted: &HostedRepo, pkgs: &[BrowserPackage]) -> Vec<(String, String)> {
    let mut by_name: BTreeMap<&str, Vec<&BrowserPackage>> = BTreeMap::new();
    for p in pkgs {
        by_name.entry(p.meta.name.as_str()).or_default().push(p);
    }
    for v in by_name.values_mut() {
        v.sort_by_key(|p| std::cmp::Reverse(version_of(p)));
    }
    let latest: Vec<&BrowserPackage> = by_name.values().map(|v| v[0]).collect();
    let mut out = vec![("index.html".to_string(), index_page(hosted, &latest))];
    for (name, versions) in &by_name {
        out.push((
            format!("{BROWSE_DIR}/{name}.html"),
            package_page(hosted, name, versions, &by_name),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let j = script_json(&json!(["</script><!--"]));
        assert!(!j.contains('<') && !j.contains('>'));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&j).unwrap(),
            json!(["</script><!--"])
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(human(10), "10 B");
        assert_eq!(human(2048), "2.0 KiB (2048 bytes)");
    }
}
