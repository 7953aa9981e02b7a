//! Accounts and sessions: validated credentials, Argon2id password hashes,
//! random session tokens kept only as hashes, and sign-in throttling.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};
use waypost_db::queries::account;
use waypost_db::queries::account::{UserKey, UserUpdate};
use waypost_db::{
    AuthorId, DbError, DbPool, Role, SessionInsertForm, SignInFailureForm, UserId, UserInsertForm,
    UserUpdateForm,
};

use crate::model::all;
use crate::policy::{Action, Viewer, authorize};
use crate::{DomainError, DomainResult, User};

/// Bytes of randomness in a session token (256 bits).
const TOKEN_BYTES: usize = 32;

/// How sign-in behaves; built from configuration in `main`.
#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    pub session_ttl: Duration,
    /// Failed sign-ins for one email within `failure_window` before refusing.
    pub max_failures: usize,
    pub failure_window: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            session_ttl: Duration::days(30),
            max_failures: 5,
            failure_window: Duration::minutes(15),
        }
    }
}

/// An email address as stored: trimmed, lowercased, plausibly shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> DomainResult<EmailAddress> {
        let email = raw.trim().to_lowercase();
        let invalid = || DomainError::bad_input("email", "enter a valid email address");
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(EmailAddress(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}

/// A password chosen for a new account.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> DomainResult<NewPassword> {
        let length = raw.chars().count();
        if length < 10 {
            return Err(DomainError::bad_input(
                "password",
                "use at least 10 characters",
            ));
        }
        if length > 1024 {
            return Err(DomainError::bad_input(
                "password",
                "use at most 1024 characters",
            ));
        }
        Ok(NewPassword(raw.to_owned()))
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

fn random_bytes<const N: usize>() -> DomainResult<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "the operating system gave no randomness");
        DomainError::Fault("no randomness")
    })?;
    Ok(bytes)
}

fn hash_password_now(password: &str) -> DomainResult<String> {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()?).map_err(|e| internal_hash_error(&e))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| internal_hash_error(&e))
}

fn internal_hash_error(err: &dyn std::fmt::Display) -> DomainError {
    tracing::error!(error = %err, "password hashing failed");
    DomainError::Fault("password hashing failed")
}

fn verify_password_now(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of nothing anyone knows, verified against when the email is
/// unknown so that wrong email and wrong password take the same time.
fn decoy_hash() -> DomainResult<&'static str> {
    static DECOY: OnceLock<Option<String>> = OnceLock::new();
    let decoy = DECOY.get_or_init(|| {
        let secret = random_bytes::<24>()
            .ok()
            .map(|b| URL_SAFE_NO_PAD.encode(b))?;
        hash_password_now(&secret).ok()
    });
    // Without a decoy, unknown emails would answer faster: refuse instead.
    decoy
        .as_deref()
        .ok_or(DomainError::Fault("no decoy password hash"))
}

/// Password hashes computed at once. Each takes ~19 MiB and a core for tens
/// of milliseconds; a burst of sign-ins queues here instead of exhausting
/// memory or the blocking thread pool.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Argon2 is slow on purpose; it runs off the async workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> DomainResult<T> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|_| DomainError::Fault("password hashing closed"))?;
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "password task failed");
        DomainError::Fault("password task failed")
    })
}

pub async fn hash_password(password: &NewPassword) -> DomainResult<String> {
    let password = password.0.clone();
    blocking(move || hash_password_now(&password)).await?
}

/// A 256-bit secret as its holder keeps it (a session token, a comment
/// receipt), and the hash that is stored instead of it.
pub(crate) fn new_token() -> DomainResult<(String, String)> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<TOKEN_BYTES>()?);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// SHA-256 in hex: how secrets and comment fingerprints are stored.
pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What `create_user` needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: EmailAddress,
    /// Left out, the part of the email before the `@`.
    pub display_name: Option<String>,
    pub password: NewPassword,
    pub role: Role,
    pub author_id: Option<AuthorId>,
}

pub async fn create_user(pool: &DbPool, new: NewUser, now: NaiveDateTime) -> DomainResult<User> {
    let display_name = match &new.display_name {
        Some(name) => name.trim(),
        None => new.email.local_part(),
    }
    .to_owned();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(DomainError::bad_input(
            "displayName",
            "use 1 to 100 characters",
        ));
    }
    let password_hash = hash_password(&new.password).await?;
    let form = UserInsertForm {
        email: new.email.0,
        display_name,
        password_hash,
        role: new.role,
        author_id: new.author_id,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    let mut conn = pool.get_primary().await?;
    match account::insert_user(&mut conn, &form).await {
        Ok(user) => Ok(user.into()),
        Err(DbError::UniqueViolation { .. }) => Err(DomainError::Conflict {
            field: Some("email"),
            message: "an account with this email exists already".into(),
        }),
        Err(DbError::ForeignKeyViolation { .. }) => {
            Err(DomainError::bad_input("author", "no such author profile"))
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn list_users(pool: &DbPool) -> DomainResult<Vec<User>> {
    Ok(all(account::list_users(&mut pool.get().await?).await?))
}

/// What an account change sets; `None` leaves a field alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserChanges {
    pub disabled: Option<bool>,
    pub role: Option<Role>,
    /// `Some(None)` unlinks the author profile.
    pub author_id: Option<Option<AuthorId>>,
}

async fn apply_user_changes(
    pool: &DbPool,
    key: UserKey<'_>,
    changes: UserChanges,
    now: NaiveDateTime,
) -> DomainResult<User> {
    let form = UserUpdateForm {
        disabled: changes.disabled,
        role: changes.role,
        author_id: changes.author_id,
        updated_at: Some(now),
    };
    match account::update_user(&mut pool.get_primary().await?, key, &form).await {
        Ok(UserUpdate::Updated(user)) => Ok(user.into()),
        Ok(UserUpdate::NotFound) => Err(DomainError::NotFound("no such account".into())),
        Ok(UserUpdate::WouldLeaveNoAdmin) => Err(DomainError::Conflict {
            field: Some("role"),
            message: "this would leave no enabled admin; promote another account first".into(),
        }),
        Err(DbError::ForeignKeyViolation { .. }) => {
            Err(DomainError::bad_input("authorId", "no such author profile"))
        }
        Err(err) => Err(err.into()),
    }
}

/// Changes an account's role or disables it; a disabled user's sessions
/// stop working at once because every request checks the flag. The last
/// enabled admin cannot be demoted or disabled.
pub async fn update_user(
    pool: &DbPool,
    email: &EmailAddress,
    changes: UserChanges,
    now: NaiveDateTime,
) -> DomainResult<User> {
    apply_user_changes(pool, UserKey::Email(email.as_str()), changes, now).await
}

/// Account management through the API: admins only.
pub async fn manage_create_user(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    new: NewUser,
    now: NaiveDateTime,
) -> DomainResult<User> {
    authorize(viewer, Action::ManageUsers)?;
    create_user(pool, new, now).await
}

pub async fn manage_update_user(
    pool: &DbPool,
    viewer: Option<&Viewer>,
    id: UserId,
    changes: UserChanges,
    now: NaiveDateTime,
) -> DomainResult<User> {
    authorize(viewer, Action::ManageUsers)?;
    apply_user_changes(pool, UserKey::Id(id), changes, now).await
}

pub async fn manage_list_users(pool: &DbPool, viewer: Option<&Viewer>) -> DomainResult<Vec<User>> {
    authorize(viewer, Action::ManageUsers)?;
    list_users(pool).await
}

pub async fn users_by_ids(pool: &DbPool, ids: &[UserId]) -> DomainResult<Vec<User>> {
    Ok(all(
        account::users_by_ids(&mut pool.get().await?, ids).await?
    ))
}

/// A new session, as handed to the client once.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub token: String,
    pub expires_at: NaiveDateTime,
    pub user: User,
}

#[derive(Debug, Clone)]
pub enum SignInOutcome {
    SignedIn(IssuedSession),
    /// Unknown email, wrong password or disabled account: one answer for all.
    InvalidCredentials,
}

pub async fn sign_in(
    pool: &DbPool,
    settings: &AuthSettings,
    email: &str,
    password: &str,
    now: NaiveDateTime,
) -> DomainResult<SignInOutcome> {
    let password = password.to_owned();
    let decoy = decoy_hash()?;
    let Ok(email) = EmailAddress::parse(email) else {
        blocking(move || verify_password_now(decoy, &password)).await?;
        return Ok(SignInOutcome::InvalidCredentials);
    };
    let since = now - settings.failure_window;
    // The attempt is counted before it is judged: concurrent attempts each
    // see the others, so however many arrive at once, no more than
    // `max_failures` guesses are checked in a window.
    let (attempt, user) = {
        let mut conn = pool.get_primary().await?;
        account::prune_sign_in_failures(&mut conn, email.as_str(), since).await?;
        let form = SignInFailureForm {
            email: email.0.clone(),
            failed_at: now,
        };
        let attempt = account::record_sign_in_failure(&mut conn, &form).await?;
        let failures = account::sign_in_failures_since(&mut conn, email.as_str(), since).await?;
        if failures.len() > settings.max_failures {
            // A refused attempt checks nothing, so it does not count.
            account::forget_sign_in_failure(&mut conn, attempt).await?;
            let earlier = failures.len() - 1;
            let frees_at = failures[earlier - settings.max_failures] + settings.failure_window;
            let seconds = (frees_at - now).num_seconds().max(1);
            return Err(DomainError::RateLimited {
                retry_after_seconds: u64::try_from(seconds).unwrap_or(1),
            });
        }
        (
            attempt,
            account::user_by_email(&mut conn, email.as_str()).await?,
        )
    };
    // No connection is held while Argon2 runs.
    let stored = user
        .as_ref()
        .map_or_else(|| decoy.to_owned(), |u| u.password_hash.clone());
    let matches = blocking(move || verify_password_now(&stored, &password)).await?;
    let user = match user {
        Some(user) if matches && !user.disabled => user,
        _ => return Ok(SignInOutcome::InvalidCredentials),
    };
    let mut conn = pool.get_primary().await?;
    account::forget_sign_in_failure(&mut conn, attempt).await?;
    account::prune_sessions(&mut conn, user.id, now).await?;
    let (token, token_hash) = new_token()?;
    let expires_at = now + settings.session_ttl;
    let form = SessionInsertForm {
        user_id: user.id,
        token_hash,
        created_at: now,
        expires_at,
    };
    account::insert_session(&mut conn, &form).await?;
    Ok(SignInOutcome::SignedIn(IssuedSession {
        token,
        expires_at,
        user: user.into(),
    }))
}

/// The viewer a bearer token stands for. Anything but a live session of an
/// enabled user is UNAUTHENTICATED: a bad token is never read as anonymous.
pub async fn authenticate(pool: &DbPool, token: &str, now: NaiveDateTime) -> DomainResult<Viewer> {
    let well_formed = token.len() == 43
        && URL_SAFE_NO_PAD
            .decode(token)
            .is_ok_and(|bytes| bytes.len() == TOKEN_BYTES);
    if !well_formed {
        return Err(DomainError::Unauthenticated(
            "the bearer token is malformed",
        ));
    }
    // On the primary: a session signed in a moment ago may not have reached
    // a replica yet.
    let mut conn = pool.get_primary().await?;
    let found = account::session_by_token_hash(&mut conn, &token_hash(token)).await?;
    let Some((session, user)) = found else {
        return Err(DomainError::Unauthenticated(
            "the session is unknown or has ended; sign in again",
        ));
    };
    if session.revoked_at.is_some() || user.disabled {
        return Err(DomainError::Unauthenticated(
            "the session is unknown or has ended; sign in again",
        ));
    }
    if session.expires_at <= now {
        return Err(DomainError::Unauthenticated(
            "the session has expired; sign in again",
        ));
    }
    Ok(Viewer {
        user_id: user.id,
        session_id: session.id,
        role: user.role,
        author_id: user.author_id,
    })
}

/// Ends the viewer's session; its token stops working at once.
pub async fn sign_out(pool: &DbPool, viewer: &Viewer, now: NaiveDateTime) -> DomainResult<()> {
    let mut conn = pool.get_primary().await?;
    Ok(account::revoke_session(&mut conn, viewer.session_id, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            EmailAddress::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@.com",
            "ada@example..com",
        ] {
            assert_eq!(
                EmailAddress::parse(bad).unwrap_err().code(),
                crate::ErrorCode::BadUserInput,
                "{bad:?}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn passwords_have_bounds_and_never_print() {
        assert!(NewPassword::parse("short").is_err());
        let password = NewPassword::parse("correct horse battery").unwrap();
        assert_eq!(format!("{password:?}"), "NewPassword(***)");
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_password_now("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password_now(&hash, "correct horse battery"));
        assert!(!verify_password_now(&hash, "correct horse battery!"));
        assert!(!verify_password_now("not a hash", "x"));
        assert_ne!(
            hash,
            hash_password_now("correct horse battery").unwrap(),
            "salted"
        );
    }

    #[test]
    fn tokens_carry_256_bits_and_are_stored_hashed() {
        let (token, hash) = new_token().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&token));
        assert_eq!(hash, token_hash(&token));
        assert_ne!(new_token().unwrap().0, token);
    }
}
