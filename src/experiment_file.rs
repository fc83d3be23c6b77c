//! `verify run FILE`: a sweep described in a TOML experiment file (keys are the flags), or the
//! exact re-run of a result JSON (its recorded command).

use crate::cli::{Cli, Command, RunArgs};
use crate::error::CliError;
use clap::Parser;
use engine::Outcome;

/// The spectrum file a command line reads (its `--spectrum file:PATH`), if any.
fn spectrum_file_of(argv: &[String]) -> Option<&str> {
    let inline = argv.iter().find_map(|a| a.strip_prefix("--spectrum=file:"));
    inline.or_else(|| {
        argv.windows(2)
            .find(|w| w[0] == "--spectrum")
            .and_then(|w| w[1].strip_prefix("file:"))
    })
}

/// The input files a result JSON records (its `inputs` field), refusing a record whose command
/// reads a `file:` spectrum but whose `inputs` is missing or malformed: without the hash there
/// is no knowing the file still holds what the run read.
fn recorded_inputs(
    path: &std::path::Path,
    v: &serde_json::Value,
    argv: &[String],
) -> Result<Vec<engine::InputFile>, CliError> {
    let parsed = serde_json::from_value::<Vec<engine::InputFile>>(v["inputs"].clone());
    match (parsed, spectrum_file_of(argv)) {
        (Ok(inputs), _) => Ok(inputs),
        (Err(_), None) => Ok(Vec::new()),
        (Err(e), Some(spectrum)) => Err(CliError::Usage(format!(
            "run: {} reads the spectrum file {spectrum} but has no usable record of its SHA-256 (the \"inputs\" field is {}: {e}); the exact re-run cannot be vouched for, so it is refused. Run the command again instead",
            path.display(),
            if v.get("inputs").is_some() { "malformed" } else { "missing" }
        ))),
    }
}

/// The recorded command of a result JSON and its recorded input files, after checking the
/// files are unchanged.
fn argv_of_result(
    path: &std::path::Path,
    text: &str,
) -> Result<(Vec<String>, Vec<engine::InputFile>), CliError> {
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
    let inputs = recorded_inputs(path, &v, &cmd)?;
    engine::check_unchanged(&inputs)?;
    Ok((cmd, inputs))
}

/// The command line an experiment file stands for and, for a result JSON, the input files it
/// records (None for a TOML experiment file). The file is read once, with the engine's reader.
fn read_experiment(
    path: &std::path::Path,
) -> Result<(Vec<String>, Option<Vec<engine::InputFile>>), CliError> {
    let text =
        engine::read::regular_text(path, engine::read::MAX_EXPERIMENT_FILE, "experiment file")?;
    if path.extension().is_some_and(|e| e == "json") {
        let (argv, inputs) = argv_of_result(path, &text)?;
        return Ok((argv, Some(inputs)));
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
    argv.extend(command.split_ascii_whitespace().map(String::from));
    for (key, value) in &table {
        if key == "command" {
            continue;
        }
        check_kind(path, &command, key, value)?;
        argv.extend(key_args(path, key, value)?);
    }
    Ok((argv, None))
}

/// The command-line words of one TOML key (`--key value`, `--key` for true, nothing for false).
fn key_args(
    path: &std::path::Path,
    key: &str,
    value: &toml::Value,
) -> Result<Vec<String>, CliError> {
    let flag = format!("--{}", key.replace('_', "-"));
    let mut argv = Vec::new();
    match value {
            toml::Value::Boolean(true) => argv.push(flag),
            toml::Value::Boolean(false) => {}
            // A relative output folder is relative to the experiment file, not the caller's cwd.
            toml::Value::String(s) if key == "out" && s.trim_ascii().is_empty() => {
                return Err(CliError::Usage(format!(
                    "run: {}: out = \"\" names no folder (it would be the file's own folder, replaced whole by the results); write e.g. out = \"results\"",
                    path.display()
                )));
            }
            toml::Value::String(s) if key == "out" && s.contains('\0') => {
                return Err(CliError::Usage(format!(
                    "run: {}: out = \"{}\" holds a NUL byte, which no path can hold",
                    path.display(),
                    s.escape_debug()
                )));
            }
            toml::Value::String(s) if key == "out" => {
                let base = path.parent().unwrap_or(std::path::Path::new(""));
                argv.extend([flag, base.join(s).display().to_string()]);
            }
            other if key == "out" => {
                return Err(CliError::Usage(format!(
                    "run: {}: out = {other} is not a folder; write it as a string, e.g. out = \"results\"",
                    path.display()
                )));
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
                    "run: {}: key '{key}' (--{}) has an unsupported value {other}; write a string, a number, true/false or a list",
                    path.display(),
                    key.replace('_', "-")
                )))
            }
        }
    Ok(argv)
}

/// Whether `--flag` of `command` (e.g. "linear-rep contraction") takes a value; None when the
/// command or the flag is unknown (clap then names it).
fn takes_value(command: &str, flag: &str) -> Option<bool> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    for word in command.split_ascii_whitespace() {
        cmd = cmd.find_subcommand(word)?.clone();
    }
    let arg = cmd.get_arguments().find(|a| a.get_long() == Some(flag))?;
    Some(arg.get_action().takes_values())
}

/// Refuse a TOML value of the wrong kind for its flag: `true`/`false` for a flag that takes a
/// value (it would swallow the next flag as its value), a value for a switch.
fn check_kind(
    path: &std::path::Path,
    command: &str,
    key: &str,
    value: &toml::Value,
) -> Result<(), CliError> {
    let flag = key.replace('_', "-");
    let Some(valued) = takes_value(command, &flag) else {
        return Ok(());
    };
    let is_bool = matches!(value, toml::Value::Boolean(_));
    if valued && is_bool {
        return Err(CliError::Usage(format!(
            "run: {}: key '{key}' (--{flag}) takes a value, e.g. {key} = \"…\" or a number; got {value}",
            path.display()
        )));
    }
    if !valued && !is_bool {
        return Err(CliError::Usage(format!(
            "run: {}: key '{key}' (--{flag}) is a switch: write {key} = true or false; got {value}",
            path.display()
        )));
    }
    Ok(())
}

/// The full command line `verify run` stands for (the file's command with --out, --format and
/// --quiet applied).
pub fn command_line(r: &RunArgs) -> Result<Vec<String>, CliError> {
    Ok(command_line_and_inputs(r)?.0)
}

/// [`command_line`], and the input files a result JSON records (None for a TOML file).
fn command_line_and_inputs(
    r: &RunArgs,
) -> Result<(Vec<String>, Option<Vec<engine::InputFile>>), CliError> {
    let (mut argv, inputs) = read_experiment(&r.file)?;
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
    Ok((argv, inputs))
}

/// Refuse (exit 2, naming the file and the hashes) when `spectrum`, as just read and parsed, is
/// not the content `recorded` (a result JSON's or a checkpoint's `inputs`) says the results were
/// computed from: the comparison is on the bytes parsed, so the file cannot change between the
/// check and its use. `what` names the operation and the record in messages.
pub fn check_spectrum(
    what: &str,
    recorded: &[engine::InputFile],
    spectrum: &theory::SpectrumFamily,
) -> Result<(), CliError> {
    for now in crate::single_index::input_files(spectrum) {
        let Some(then) = recorded.iter().find(|f| f.path == now.path) else {
            return Err(CliError::Usage(format!(
                "{what} records no SHA-256 of the spectrum file {} (now sha256 {}); the results cannot be vouched for, so this is refused",
                now.path, now.sha256
            )));
        };
        engine::check_same(then, &now)?;
    }
    Ok(())
}

pub fn run(r: &RunArgs) -> Result<Outcome, CliError> {
    let (argv, recorded) = command_line_and_inputs(r)?;
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        CliError::Usage(format!(
            "run: {} does not describe a valid run:\n{e}",
            r.file.display()
        ))
    })?;
    if let (Some(recorded), Command::SingleIndex(a)) = (&recorded, &cli.command) {
        let what = format!("run: {}", r.file.display());
        check_spectrum(&what, recorded, &a.spectrum)?;
    }
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
