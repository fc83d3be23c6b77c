//! `verify run FILE`: a sweep described in a TOML experiment file (keys are the flags), or the
//! exact re-run of a result JSON (its recorded command).

use crate::cli::{Cli, Command, RunArgs};
use crate::error::CliError;
use clap::Parser;
use engine::Outcome;

/// The recorded command of a result JSON, after checking its input files are unchanged.
fn argv_of_result(path: &std::path::Path, text: &str) -> Result<Vec<String>, CliError> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| CliError::Usage(format!("run: {} is not JSON: {e}", path.display())))?;
    let cmd = v["command"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .map(|x| x.as_str().map(String::from))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| {
            CliError::Usage(format!(
                "run: {} has no \"command\" list (is it a verify result file?)",
                path.display()
            ))
        })?;
    // The recorded input files must still hold what the run read.
    if let Ok(inputs) = serde_json::from_value::<Vec<engine::InputFile>>(v["inputs"].clone()) {
        engine::check_unchanged(&inputs)?;
    }
    Ok(cmd)
}

/// The command line an experiment file stands for.
pub fn argv_of(path: &std::path::Path) -> Result<Vec<String>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("run: cannot read {}: {e}", path.display())))?;
    if path.extension().is_some_and(|e| e == "json") {
        return argv_of_result(path, &text);
    }
    let table: toml::Table = text
        .parse()
        .map_err(|e| CliError::Usage(format!("run: {} is not valid TOML: {e}", path.display())))?;
    if table.is_empty() {
        return Err(CliError::Usage(format!(
            "run: {} sets nothing; write the flags as keys (e.g. kappa = \"1..20\", out = \"out/x\")",
            path.display()
        )));
    }
    let mut argv = vec!["verify".to_string()];
    let command = match table.get("command") {
        None => "single-index".to_string(),
        Some(toml::Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(CliError::Usage(format!(
                "run: 'command' must be a string, got {other}"
            )))
        }
    };
    // "linear-rep contraction" is a command and its subcommand.
    argv.extend(command.split_whitespace().map(String::from));
    for (key, value) in &table {
        if key == "command" {
            continue;
        }
        let flag = format!("--{}", key.replace('_', "-"));
        match value {
            toml::Value::Boolean(true) => argv.push(flag),
            toml::Value::Boolean(false) => {}
            // A relative output folder is relative to the experiment file, not the caller's cwd.
            toml::Value::String(s) if key == "out" => {
                let base = path.parent().unwrap_or(std::path::Path::new(""));
                argv.extend([flag, base.join(s).display().to_string()]);
            }
            toml::Value::String(s) => argv.extend([flag, s.clone()]),
            toml::Value::Integer(i) => argv.extend([flag, i.to_string()]),
            toml::Value::Float(f) => argv.extend([flag, f.to_string()]),
            toml::Value::Array(items) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|x| match x {
                        toml::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                argv.extend([flag, parts.join(",")]);
            }
            other => {
                return Err(CliError::Usage(format!(
                    "run: key '{key}' has an unsupported value {other}"
                )))
            }
        }
    }
    Ok(argv)
}

/// The full command line `verify run` stands for (the file's command with --out, --format and
/// --quiet applied).
pub fn command_line(r: &RunArgs) -> Result<Vec<String>, CliError> {
    let mut argv = argv_of(&r.file)?;
    if let Some(out) = &r.out {
        if let Some(i) = argv.iter().position(|a| a == "--out") {
            argv.drain(i..(i + 2).min(argv.len()));
        }
        argv.extend(["--out".to_string(), out.display().to_string()]);
    }
    if let Some(format) = r.format {
        if let Some(i) = argv.iter().position(|a| a == "--format") {
            argv.drain(i..(i + 2).min(argv.len()));
        }
        argv.retain(|a| !a.starts_with("--format="));
        let name = clap::ValueEnum::to_possible_value(&format)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        argv.extend(["--format".to_string(), name]);
    }
    if r.quiet {
        argv.push("--quiet".into());
    }
    Ok(argv)
}

pub fn run(r: &RunArgs) -> Result<Outcome, CliError> {
    let argv = command_line(r)?;
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        CliError::Usage(format!(
            "run: {} does not describe a valid run:\n{e}",
            r.file.display()
        ))
    })?;
    match cli.command {
        c @ (Command::SingleIndex(_)
        | Command::LinearRep(_)
        | Command::Readout(_)
        | Command::Spike(_)) => crate::dispatch(c),
        _ => Err(CliError::Usage(format!(
            "run: {} must describe a single-index, readout, spike or linear-rep run",
            r.file.display()
        ))),
    }
}
