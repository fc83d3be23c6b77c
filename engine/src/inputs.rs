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

fn read(path: &Path) -> Result<Vec<u8>, HarnessError> {
    std::fs::read(path).map_err(|source| {
        HarnessError::Report(reports::ReportError::Io {
            path: path.to_path_buf(),
            source,
        })
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fingerprint each file (its absolute path and content hash).
pub fn fingerprint(paths: &[PathBuf]) -> Result<Vec<InputFile>, HarnessError> {
    paths
        .iter()
        .map(|p| {
            let content = read(p)?;
            let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            Ok(InputFile {
                path: abs.display().to_string(),
                sha256: hex(&Sha256::digest(&content)),
            })
        })
        .collect()
}

/// Refuse when a recorded input file is missing or no longer has its recorded content.
pub fn check_unchanged(inputs: &[InputFile]) -> Result<(), HarnessError> {
    for f in inputs {
        let gone = std::fs::metadata(&f.path).err();
        if gone.is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
            return Err(HarnessError::Usage(format!(
                "input file {} is missing (the run recorded it with sha256 {}); restore it or start a new run",
                f.path, f.sha256
            )));
        }
        let now = fingerprint(&[PathBuf::from(&f.path)])?;
        if now[0].sha256 != f.sha256 {
            return Err(HarnessError::Usage(format!(
                "input file {} has changed since the run was recorded (sha256 {} then, {} now); restore it or start a new run",
                f.path, f.sha256, now[0].sha256
            )));
        }
    }
    Ok(())
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
        let f = fingerprint(std::slice::from_ref(&p)).unwrap();
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
