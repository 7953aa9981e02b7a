//! Trusted documents: the operations a server in trusted mode runs, and
//! no others. They come from a directory of `.graphql` files read at start
//! and from the database's registry (`waypost operations add`), which
//! every instance consults. Each file is one document (any number of
//! operations and fragments), named like a persisted query by the SHA-256
//! of its exact text, so clients that send hashes work unchanged; a file
//! that does not parse or validate stops the start, naming the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use waypost_domain::persisted::document_hash;
use waypost_domain::{DbPool, DomainError, DomainResult};

use crate::limits::Limits;
use crate::schema::build_checking_schema;
use crate::schema::check::check_document;

/// What a trusted document file is named: `NAME.graphql`.
const EXTENSION: &str = "graphql";

/// A file that cannot be a trusted document, and why.
#[derive(Debug)]
pub struct DocumentError {
    pub path: PathBuf,
    pub problem: String,
}

impl std::fmt::Display for DocumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "trusted document {}: {}",
            self.path.display(),
            self.problem
        )
    }
}

impl std::error::Error for DocumentError {}

/// A document read from a file and checked against the schema.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: PathBuf,
    /// [`document_hash`] of `text`.
    pub hash: String,
    pub text: String,
}

/// Reads each of `paths` as one document and checks it against the schema
/// as `limits` shape it. Every file is checked before any is used, so a
/// bad one among many changes nothing.
pub async fn read_documents(
    paths: &[PathBuf],
    limits: &Limits,
) -> Result<Vec<Document>, DocumentError> {
    let schema = build_checking_schema(limits);
    let mut documents = Vec::with_capacity(paths.len());
    for path in paths {
        let refused = |problem: String| DocumentError {
            path: path.clone(),
            problem,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|err| refused(format!("cannot read it: {err}")))?;
        check_document(&schema, &text).await.map_err(|problems| {
            refused(format!(
                "not a valid operation for this schema: {}",
                problems.join("; ")
            ))
        })?;
        documents.push(Document {
            path: path.clone(),
            hash: document_hash(&text),
            text,
        });
    }
    Ok(documents)
}

/// Why documents could not be registered.
#[derive(Debug)]
pub enum RegisterError {
    /// A file is not a valid document; nothing was registered.
    Document(DocumentError),
    /// The database refused or could not be reached.
    Storage(DomainError),
}

impl std::fmt::Display for RegisterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegisterError::Document(err) => err.fmt(f),
            RegisterError::Storage(err) => write!(f, "cannot register the documents: {err}"),
        }
    }
}

impl std::error::Error for RegisterError {}

/// A document `register_files` registered.
#[derive(Debug, Clone)]
pub struct Registered {
    pub document: Document,
    /// False when it had been registered before.
    pub new: bool,
}

/// `waypost operations add`: checks each of `paths` as one document against
/// the schema (its own rules with the default limits; each server holds
/// every request to its own limits anyway), then registers them all in
/// the database every instance reads.
pub async fn register_files(
    pool: &DbPool,
    paths: &[PathBuf],
    now: chrono::NaiveDateTime,
) -> Result<Vec<Registered>, RegisterError> {
    let documents = read_documents(paths, &Limits::default())
        .await
        .map_err(RegisterError::Document)?;
    let mut registered = Vec::with_capacity(documents.len());
    for document in documents {
        let (_, new) = waypost_domain::trusted::register(pool, &document.text, now)
            .await
            .map_err(RegisterError::Storage)?;
        registered.push(Registered { document, new });
    }
    Ok(registered)
}

/// The names of the operations in `text`, `(anonymous)` for one without;
/// none when it does not parse.
pub fn operation_names(text: &str) -> Vec<String> {
    let Ok(document) = async_graphql::parser::parse_query(text) else {
        return Vec::new();
    };
    document
        .operations
        .iter()
        .map(|(name, _)| name.map_or_else(|| "(anonymous)".to_owned(), |n| n.to_string()))
        .collect()
}

/// The `.graphql` files directly in `dir`, in name order. Other files and
/// subdirectories are left alone (a mounted ConfigMap keeps its own
/// bookkeeping beside the files); a file reached by a symbolic link counts.
fn document_files(dir: &Path) -> Result<Vec<PathBuf>, DocumentError> {
    let refused = |problem: String| DocumentError {
        path: dir.to_owned(),
        problem,
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|err| refused(format!("cannot read the directory: {err}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|err| refused(format!("cannot read the directory: {err}")))?
            .path();
        let named = path.extension().is_some_and(|ext| ext == EXTENSION);
        if named && std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The documents a server in trusted mode runs: those of its directory,
/// and those registered in the database, each asked for once and then
/// remembered. Registered documents are never removed while a server runs,
/// and operators add them, so what is remembered stays correct and small.
#[derive(Default)]
pub struct TrustedDocuments {
    known: RwLock<HashMap<String, Arc<str>>>,
    files: usize,
}

impl TrustedDocuments {
    /// No files: only the documents registered in the database.
    pub fn registered_only() -> Self {
        TrustedDocuments::default()
    }

    /// The `.graphql` files directly in `dir`, each checked against the
    /// schema as `limits` shape it, and the registered documents.
    pub async fn load(dir: &Path, limits: &Limits) -> Result<Self, DocumentError> {
        let documents = read_documents(&document_files(dir)?, limits).await?;
        let files = documents.len();
        let known = documents
            .into_iter()
            .map(|document| (document.hash, Arc::from(document.text)))
            .collect();
        Ok(TrustedDocuments {
            known: RwLock::new(known),
            files,
        })
    }

    /// How many files were loaded (files with the same text count once
    /// each).
    pub fn files(&self) -> usize {
        self.files
    }

    /// The text trusted under `hash`, if any.
    pub(crate) async fn text(&self, pool: &DbPool, hash: &str) -> DomainResult<Option<Arc<str>>> {
        let known = self
            .known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(hash)
            .cloned();
        if known.is_some() {
            return Ok(known);
        }
        // Not remembered: it may have been registered since, by any
        // instance's operator, so the database is asked every time.
        let Some(text) = waypost_domain::trusted::document(pool, hash).await? else {
            return Ok(None);
        };
        let text: Arc<str> = text.into();
        self.known
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(hash.to_owned(), text.clone());
        Ok(Some(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_graphql_files_directly_in_the_directory_are_documents() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.graphql"), "query B { __typename }").unwrap();
        std::fs::write(dir.path().join("a.graphql"), "query A { __typename }").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a document").unwrap();
        std::fs::create_dir(dir.path().join("nested.graphql")).unwrap();
        let files = document_files(dir.path()).unwrap();
        assert_eq!(
            files,
            [dir.path().join("a.graphql"), dir.path().join("b.graphql")]
        );
        let err = document_files(&dir.path().join("missing")).unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
