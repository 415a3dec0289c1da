//! The deployment recipes in deploy/: the Kubernetes Indexed Job validates against the
//! Kubernetes schemas (`kubernetes-validate`), the systemd template passes
//! `systemd-analyze verify` without a warning, and the command each one runs is accepted
//! by this build of smbaudit (run with `--dry-run`, which sends nothing).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use yaml_rust2::{Yaml, YamlLoader};

use crate::lab::output_within;

const LIMIT: Duration = Duration::from_secs(60);

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(path)
}

/// Whether `tool` can be run; without it the test is skipped, except in CI.
fn have(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is missing; .ci/run installs it"
        );
        eprintln!("skipped: {tool} not installed");
    }
    found
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = output_within(cmd, LIMIT).expect("the tool ends by itself");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_kubernetes_job_validates_against_the_schemas() {
    if !have("kubernetes-validate") {
        return;
    }
    let manifest = deploy("kubernetes/smbaudit-shards.yaml");
    let (ok, text) = run(Command::new("kubernetes-validate")
        .arg("--strict")
        .arg(&manifest));
    assert!(ok, "kubernetes-validate failed:\n{text}");
    assert!(text.contains("passed for resource job/"), "{text}");
}

#[test]
fn the_kubernetes_job_is_indexed_and_maps_its_index_to_a_shard() {
    let docs = YamlLoader::load_from_str(
        &std::fs::read_to_string(deploy("kubernetes/smbaudit-shards.yaml")).expect("manifest"),
    )
    .expect("the manifest is YAML");
    let job = docs
        .iter()
        .find(|d| d["kind"].as_str() == Some("Job"))
        .expect("a Job");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    assert_eq!(spec["podReplacementPolicy"].as_str(), Some("Failed"));
    assert!(spec["backoffLimitPerIndex"].as_i64().is_some_and(|n| n > 0));
    let completions = spec["completions"].as_i64().expect("completions");
    let container = &spec["template"]["spec"]["containers"][0];
    let caps = &container["securityContext"]["capabilities"]["add"];
    assert!(
        caps.as_vec()
            .is_some_and(|v| v.iter().any(|c| c.as_str() == Some("NET_RAW"))),
        "NET_RAW is added for the SYN stage"
    );
    let env = container_env(container);
    assert_eq!(env.get("SHARDS"), Some(&completions.to_string()));
    for secret in ["SMBAUDIT_DB", "PGPASSWORD"] {
        assert!(
            env_from_secret(container, secret),
            "{secret} comes from a Secret"
        );
    }
    let script = container["args"][0].as_str().expect("the shell command");
    let targets = docs
        .iter()
        .find(|d| d["kind"].as_str() == Some("ConfigMap"))
        .and_then(|m| m["data"]["targets.txt"].as_str())
        .expect("the targets ConfigMap");
    // Every index the Job hands out is a shard smbaudit accepts, and no other.
    for index in 0..completions {
        let out = dry_run_script(script, &env, index, targets);
        let shard = format!("shard {}/{completions}", index + 1);
        assert!(out.0, "pod {index}: {}", out.1);
        assert!(
            out.1.contains(&shard),
            "pod {index} runs {shard}:\n{}",
            out.1
        );
    }
    let beyond = dry_run_script(script, &env, completions, targets);
    assert!(
        !beyond.0,
        "index {completions} is out of range:\n{}",
        beyond.1
    );
}

/// The container's plain `env` values.
fn container_env(container: &Yaml) -> HashMap<String, String> {
    container["env"]
        .as_vec()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_owned(),
                e["value"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

fn env_from_secret(container: &Yaml, name: &str) -> bool {
    container["env"].as_vec().into_iter().flatten().any(|e| {
        e["name"].as_str() == Some(name) && !e["valueFrom"]["secretKeyRef"]["key"].is_badvalue()
    })
}

/// Runs the pod's shell command as pod `index` would, with this build of smbaudit and
/// `--dry-run` added; the targets file stands in for the ConfigMap.
fn dry_run_script(
    script: &str,
    env: &HashMap<String, String>,
    index: i64,
    targets: &str,
) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("targets.txt");
    std::fs::write(&file, targets).expect("targets file");
    let script = script
        .replace(
            "exec smbaudit",
            &format!("exec {}", env!("CARGO_BIN_EXE_smbaudit")),
        )
        .replace("/etc/smbaudit/targets.txt", &file.to_string_lossy())
        + " --dry-run";
    run(Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("JOB_COMPLETION_INDEX", index.to_string())
        .env("XDG_DATA_HOME", dir.path())
        .envs(env))
}

#[test]
fn the_systemd_template_verifies_and_its_command_runs() {
    if !have("systemd-analyze") {
        return;
    }
    let unit = std::fs::read_to_string(deploy("systemd/smbaudit-shard@.service")).expect("unit");
    let env = env_file(&deploy("systemd/shards.env.example"));
    let dir = tempfile::tempdir().expect("temp dir");
    let binary = env!("CARGO_BIN_EXE_smbaudit");
    let instance = dir.path().join("smbaudit-shard@2.service");
    std::fs::write(&instance, unit.replace("/usr/local/bin/smbaudit", binary)).expect("copy");
    let (ok, text) = run(Command::new("systemd-analyze")
        .arg("verify")
        .arg(&instance)
        .env("SYSTEMD_LOG_LEVEL", "warning"));
    // verify exits 0 on unknown keys and bad values, and only warns: any line is a failure.
    assert!(
        ok && text.trim().is_empty(),
        "systemd-analyze verify:\n{text}"
    );

    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let targets = dir.path().join("targets.txt");
    std::fs::write(&targets, "10.20.0.0/16\n").expect("targets");
    let argv: Vec<String> = exec
        .split_whitespace()
        .skip(1)
        .map(|word| expand_unit_word(word, &env, &targets))
        .collect();
    let (ok, text) = run(Command::new(binary)
        .args(&argv)
        .arg("--dry-run")
        .env("XDG_DATA_HOME", dir.path()));
    assert!(ok, "{argv:?}:\n{text}");
    let shards = env.get("SMBAUDIT_SHARDS").expect("SMBAUDIT_SHARDS");
    assert!(text.contains(&format!("shard 2/{shards}")), "{text}");
}

/// A `KEY=value` environment file (systemd's EnvironmentFile, without quoting).
fn env_file(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .expect("env file")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// One ExecStart word as systemd expands it for instance 2: `%i` and `${VAR}`.
fn expand_unit_word(word: &str, env: &HashMap<String, String>, targets: &Path) -> String {
    let mut out = word.replace("%i", "2");
    for (k, v) in env {
        out = out.replace(&format!("${{{k}}}"), v);
    }
    out.replace("/etc/smbaudit/targets.txt", &targets.to_string_lossy())
}
