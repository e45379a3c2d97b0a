//! A damaged base image is reported at boot with a clear message and a clean power-off, never a
//! kernel fault.

use std::time::Duration;
use swiftos_tests::{base_image_path, target_dir, Guest, QemuConfig};

fn boot_damaged(name: &str, damage: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut bytes = std::fs::read(base_image_path()).unwrap();
    damage(&mut bytes);
    let dir = target_dir().join("damaged-images");
    std::fs::create_dir_all(&dir).unwrap();
    let img = dir.join(format!("{name}.img"));
    std::fs::write(&img, &bytes).unwrap();
    let cfg = QemuConfig {
        base_image: Some(img),
        ..QemuConfig::default()
    };
    let mut g = Guest::boot(name, &cfg).unwrap();
    g.expect("powering off").unwrap();
    assert_eq!(g.wait_exit(Duration::from_secs(60)).unwrap(), Some(0));
    let t = g.transcript();
    assert!(!t.contains("kernel fault"), "kernel faulted:\n{t}");
    assert!(!t.contains("login:"), "booted a damaged image:\n{t}");
    t
}

#[test]
fn flipped_metadata_byte_is_reported_at_boot() {
    let t = boot_damaged("image_bitflip", |b| b[600] ^= 0x40);
    assert!(t.contains("base image") && t.contains("corrupt"), "{t}");
}

#[test]
fn truncated_image_is_reported_at_boot() {
    let t = boot_damaged("image_truncated", |b| b.truncate(1024));
    assert!(t.contains("base image"), "{t}");
}

#[test]
fn garbage_image_is_reported_at_boot() {
    let t = boot_damaged("image_garbage", |b| {
        for (i, x) in b.iter_mut().enumerate().take(4096) {
            *x = (i * 7 + 3) as u8;
        }
    });
    assert!(t.contains("base image"), "{t}");
}
