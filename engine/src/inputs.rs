//! Fingerprints of a run's input files (a spectrum read from a file, …): recorded in the
//! checkpoint and the result files, so a resume, a merge or a re-run refuses an input that has
//! changed instead of silently mixing results.

use crate::error::HarnessError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// One input file: its absolute path and the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// Absolute path when the file was read.
    pub path: String,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl InputFile {
    /// The fingerprint of `bytes`, the content read from `path` (recorded by its absolute path).
    pub fn of_bytes(path: &Path, bytes: &[u8]) -> Self {
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        InputFile {
            path: abs.display().to_string(),
            sha256: hex(&Sha256::digest(bytes)),
        }
    }
}

/// Read an input file once (with [`crate::read::regular_file`], at most `cap` bytes; `what`
/// names it in messages) and fingerprint exactly the bytes read: parse the returned bytes, record
/// the returned fingerprint, and the record is the hash of what the run used.
pub fn read_input(path: &Path, cap: u64, what: &str) -> Result<(Vec<u8>, InputFile), HarnessError> {
    let bytes = crate::read::regular_file(path, cap, what)?;
    let input = InputFile::of_bytes(path, &bytes);
    Ok((bytes, input))
}

/// Refuse (exit 2) when a recorded input file is missing or no longer has its recorded content.
pub fn check_unchanged(inputs: &[InputFile]) -> Result<(), HarnessError> {
    for f in inputs {
        let path = PathBuf::from(&f.path);
        let gone = std::fs::metadata(&path).err();
        if gone.is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
            return Err(HarnessError::Usage(format!(
                "input file {} is missing (the run recorded it with sha256 {}); restore it or start a new run",
                f.path, f.sha256
            )));
        }
        let (_, now) = read_input(&path, crate::read::MAX_INPUT_FILE, "input file")?;
        check_same(f, &now)?;
    }
    Ok(())
}

/// Refuse (exit 2, naming the file and both hashes) when `now`, the fingerprint of the bytes
/// about to be used, is not the `recorded` one.
pub fn check_same(recorded: &InputFile, now: &InputFile) -> Result<(), HarnessError> {
    if now.sha256 == recorded.sha256 {
        return Ok(());
    }
    Err(HarnessError::Usage(format!(
        "input file {} has changed since the run was recorded (sha256 {} then, {} now); restore it or start a new run",
        recorded.path, recorded.sha256, now.sha256
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_sha256_and_a_change_is_refused() {
        let dir = std::env::temp_dir().join(format!("engine-inputs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("eigs.txt");
        std::fs::write(&p, "abc").unwrap();
        let (bytes, f) = read_input(&p, 3, "test file").unwrap();
        assert_eq!(bytes, b"abc");
        let f = vec![f];
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            f[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(check_unchanged(&f).is_ok());
        std::fs::write(&p, "abd").unwrap();
        assert!(matches!(check_unchanged(&f), Err(HarnessError::Usage(_))));
        std::fs::remove_dir_all(dir).ok();
    }
}
