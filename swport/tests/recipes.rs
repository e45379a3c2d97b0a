//! Recipe and catalog parsing: the real ports tree is valid, and every bad-recipe case gets a
//! precise error naming the file and the field.

use std::path::Path;
use swport::recipe::{Ports, Recipe, RecipeError};

const GOOD: &str = r#"
name = "demo"
version = "1.2.3"
license = "MIT"
summary = "a demo port"

[source]
url = "https://example.invalid/demo-1.2.3.tar.gz"
sha256 = "164c7849653b80ae67bec4b7473b884bf5cc8d2dca05653475ec2ed27b9ebf61"

[build]
template = "make"
make-args = ["CC=${CC}"]

[package]
files = ["bin/demo"]
"#;

fn tree(recipes: &[(&str, &str)], catalog: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in recipes {
        let p = d.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("recipe.toml"), text).unwrap();
    }
    std::fs::write(d.path().join("catalog.json"), catalog).unwrap();
    d
}

fn entry(name: &str, deps: &str) -> String {
    format!(
        r#"{{"name":"{name}","version":"1.2.3","license":"MIT","summary":"a demo port","recipe":"{name}/recipe.toml"{deps}}}"#
    )
}

fn recipe_named(name: &str) -> String {
    GOOD.replace("name = \"demo\"", &format!("name = \"{name}\""))
}

fn load_err(text: &str) -> String {
    let d = tree(&[("demo", text)], "{}");
    let e = Ports::new(d.path()).recipe("demo").unwrap_err();
    e.to_string()
}

#[test]
fn the_real_ports_tree_is_valid() {
    let ports = Ports::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../ports"));
    let c = ports.validate_catalog().unwrap();
    assert!(c.ports.iter().any(|p| p.name == "lua"));
    let lua = ports.recipe("lua").unwrap();
    assert!(lua.source.sha256.starts_with("164c7849"));
    assert_eq!(lua.package_file_name(), "lua-5.4.4.swpkg");
}

#[test]
fn good_recipe_loads() {
    let d = tree(&[("demo", GOOD)], "{}");
    let r = Ports::new(d.path()).recipe("demo").unwrap();
    assert_eq!(r.source.strip_components, 1);
    assert!(r.package.strip);
}

#[test]
fn unknown_field_names_file_and_field() {
    let e = load_err(&GOOD.replace("[package]", "[package]\nfilez = []"));
    assert!(
        e.contains("recipe.toml") && e.contains("unknown field `filez`"),
        "{e}"
    );
    let e = load_err(&format!("colour = \"red\"\n{GOOD}"));
    assert!(e.contains("unknown field `colour`"), "{e}");
}

#[test]
fn missing_hash() {
    let e = load_err(&GOOD.replace(
        "sha256 = \"164c7849653b80ae67bec4b7473b884bf5cc8d2dca05653475ec2ed27b9ebf61\"\n",
        "",
    ));
    assert!(
        e.contains("recipe.toml") && e.contains("missing field `sha256`"),
        "{e}"
    );
}

#[test]
fn malformed_hash() {
    let e = load_err(&GOOD.replace("164c7849", "XYZ"));
    assert!(e.contains("field `source.sha256`"), "{e}");
}

#[test]
fn bad_version() {
    let e = load_err(&GOOD.replace("1.2.3", "one.two"));
    assert!(
        e.contains("recipe.toml: field `version`") && e.contains("one.two"),
        "{e}"
    );
}

#[test]
fn missing_patch() {
    let e = load_err(&GOOD.replace("[build]", "patches = [\"fix.patch\"]\n\n[build]"));
    assert!(
        e.contains("field `source.patches[0]`") && e.contains("fix.patch"),
        "{e}"
    );
    let e = load_err(&GOOD.replace("[build]", "patches = [\"../evil.patch\"]\n\n[build]"));
    assert!(
        e.contains("source.patches[0]") && e.contains("relative path"),
        "{e}"
    );
}

#[test]
fn other_semantic_errors() {
    let cases: &[(&str, &str, &str)] = &[
        ("name = \"demo\"", "name = \"Demo\"", "field `name`"),
        (
            "name = \"demo\"",
            "name = \"other\"",
            "differs from the port directory",
        ),
        (
            "https://example.invalid/demo-1.2.3.tar.gz",
            "ftp://x/y.tgz",
            "field `source.url`",
        ),
        (
            "template = \"make\"",
            "template = \"script\"",
            "field `build.script`",
        ),
        (
            "template = \"make\"",
            "template = \"cmake\"",
            "unknown variant `cmake`",
        ),
        (
            "files = [\"bin/demo\"]",
            "files = []",
            "field `package.files`",
        ),
        (
            "files = [\"bin/demo\"]",
            "files = [\"../../etc\"]",
            "field `package.files[0]`",
        ),
        (
            "files = [\"bin/demo\"]",
            "files = [\"bin/demo\"]\n[package.depends]\nzlib = \"not a req\"",
            "field `package.depends.zlib`",
        ),
        (
            "summary = \"a demo port\"",
            "summary = \"\"",
            "field `summary`",
        ),
    ];
    for (from, to, want) in cases {
        let e = load_err(&GOOD.replace(from, to));
        assert!(e.contains(want), "{to}: {e}");
    }
}

#[test]
fn no_such_port() {
    let d = tree(&[], "{}");
    let e = Ports::new(d.path()).recipe("nothing").unwrap_err();
    assert!(matches!(e, RecipeError::NoSuchPort { .. }), "{e}");
    let e = Ports::new(d.path()).recipe("../etc").unwrap_err();
    assert!(matches!(e, RecipeError::NoSuchPort { .. }), "{e}");
}

#[test]
fn garbage_recipes_never_panic() {
    for text in [
        "",
        "\0\0",
        "name = ",
        "[[[",
        "name = 1",
        &GOOD[..GOOD.len() / 2],
    ] {
        assert!(Recipe::parse(text, Path::new("x/recipe.toml")).is_err());
    }
}

#[test]
fn catalog_dependency_cycle() {
    let a = recipe_named("a").replace(
        "files = [\"bin/demo\"]",
        "files = [\"bin/demo\"]\n[package.depends]\nb = \"^1\"",
    );
    let b = recipe_named("b").replace(
        "files = [\"bin/demo\"]",
        "files = [\"bin/demo\"]\n[package.depends]\na = \"^1\"",
    );
    let cat = format!(
        r#"{{"format":1,"ports":[{},{}]}}"#,
        entry("a", r#","depends":{"b":"^1"}"#),
        entry("b", r#","depends":{"a":"^1"}"#)
    );
    let d = tree(&[("a", &a), ("b", &b)], &cat);
    let e = Ports::new(d.path())
        .validate_catalog()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("catalog.json") && e.contains("dependency cycle: a -> b -> a"),
        "{e}"
    );
}

#[test]
fn catalog_errors() {
    let demo = GOOD;
    let check = |cat: String, want: &str| {
        let d = tree(&[("demo", demo)], &cat);
        let e = Ports::new(d.path())
            .validate_catalog()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("catalog.json") && e.contains(want),
            "{want}: {e}"
        );
    };
    check(
        format!(
            r#"{{"format":1,"ports":[{}]}}"#,
            entry("demo", "").replace("1.2.3", "1.2.4")
        ),
        "field `ports[0].version`",
    );
    check(
        format!(
            r#"{{"format":1,"ports":[{},{}]}}"#,
            entry("demo", ""),
            entry("demo", "")
        ),
        "duplicate port `demo`",
    );
    check(
        r#"{"format":1,"ports":[]}"#.into(),
        "has a recipe but is not listed",
    );
    check(
        format!(r#"{{"format":1,"ports":[{}]}}"#, entry("ghost", "")),
        "ghost/recipe.toml does not exist",
    );
    check(r#"{"format":2,"ports":[]}"#.into(), "field `format`");
    check(
        r#"{"format":1,"ports":[],"extra":1}"#.into(),
        "unknown field `extra`",
    );
    check(
        format!(
            r#"{{"format":1,"ports":[{}]}}"#,
            entry("demo", r#","depends":{"zlib":"^1"}"#)
        ),
        "ports[0].depends",
    );
}

#[test]
fn catalog_unmet_requirement() {
    let a = recipe_named("a").replace(
        "files = [\"bin/demo\"]",
        "files = [\"bin/demo\"]\n[package.depends]\nb = \"^2\"",
    );
    let b = recipe_named("b");
    let cat = format!(
        r#"{{"format":1,"ports":[{},{}]}}"#,
        entry("a", r#","depends":{"b":"^2"}"#),
        entry("b", "")
    );
    let d = tree(&[("a", &a), ("b", &b)], &cat);
    let e = Ports::new(d.path())
        .validate_catalog()
        .unwrap_err()
        .to_string();
    assert!(e.contains("requirement `^2` is not met by b 1.2.3"), "{e}");
}
