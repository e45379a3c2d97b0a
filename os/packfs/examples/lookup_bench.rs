//! Measures image build time, size and lookup/read cost for a tree of ~40 files.
//!
//! `cargo run --release -p swiftos-packfs --example lookup_bench`

use std::time::Instant;
use swiftos_packfs::{Attrs, Image, ImageBuilder, MemDisk};

fn main() {
    let mut b = ImageBuilder::new();
    let mut data_bytes = 0usize;
    // 30 programs of 20..170 KiB and 10 small configuration files.
    for i in 0..30 {
        let size = 20_000 + i * 5_000;
        let data: Vec<u8> = (0..size).map(|j| (j * 31 + i) as u8).collect();
        data_bytes += size;
        b.add_file(&format!("/bin/prog{i:02}"), data, Attrs::EXEC)
            .unwrap();
    }
    for i in 0..10 {
        let data = format!("setting{i}=value\n").repeat(10).into_bytes();
        data_bytes += data.len();
        b.add_file(&format!("/etc/conf{i}"), data, Attrs::FILE)
            .unwrap();
    }
    let t = Instant::now();
    let img = b.build().unwrap();
    let build = t.elapsed();
    println!(
        "build: 40 files, {} data bytes -> image {} bytes ({:.1}% overhead) in {:.2} ms",
        data_bytes,
        img.len(),
        (img.len() - data_bytes) as f64 * 100.0 / data_bytes as f64,
        build.as_secs_f64() * 1e3
    );

    let t = Instant::now();
    let mut image = Image::open(MemDisk::new(img)).unwrap();
    println!(
        "open (validate header, metadata, tree): {:.1} µs",
        t.elapsed().as_secs_f64() * 1e6
    );

    let n = 200_000;
    let t = Instant::now();
    let mut found = 0u64;
    for i in 0..n {
        let p = if i % 2 == 0 {
            "/bin/prog17"
        } else {
            "/etc/conf3"
        };
        found += u64::from(image.resolve(p).unwrap());
    }
    let per = t.elapsed().as_secs_f64() * 1e9 / f64::from(n);
    println!("resolve (2 components): {per:.0} ns per lookup (checksum {found})");

    let prog = image.resolve("/bin/prog29").unwrap();
    let t = Instant::now();
    let data = image.read_file_verified(prog).unwrap();
    println!(
        "read_file_verified of {} bytes: {:.2} ms",
        data.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    image.verify_all().unwrap();
    println!("verify_all: {:.2} ms", t.elapsed().as_secs_f64() * 1e3);
}
