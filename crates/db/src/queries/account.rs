//! Users, their sessions, and failed sign-ins.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::error::DbResult;
use crate::ids::{SessionId, UserId};
use crate::models::{
    Role, Session, SessionInsertForm, SignInFailureForm, User, UserInsertForm, UserUpdateForm,
};
use crate::pool::ClaimWrites;
use crate::pool::{DbConn, with_conn};
use crate::schema::{sessions, sign_in_failures, users};

pub async fn insert_user(conn: &mut DbConn, form: &UserInsertForm) -> DbResult<User> {
    let user = with_conn!(conn, |c| {
        diesel::insert_into(users::table)
            .values(form)
            .returning(User::as_returning())
            .get_result(c)
            .await
    })?;
    Ok(user)
}

/// `email` must already be normalised (trimmed, lowercased).
pub async fn user_by_email(conn: &mut DbConn, email: &str) -> DbResult<Option<User>> {
    let user = with_conn!(conn, |c| {
        users::table
            .filter(users::email.eq(email))
            .select(User::as_select())
            .first(c)
            .await
            .optional()
    })?;
    Ok(user)
}

pub async fn users_by_ids(conn: &mut DbConn, ids: &[UserId]) -> DbResult<Vec<User>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = with_conn!(conn, |c| {
        users::table
            .filter(users::id.eq_any(ids))
            .select(User::as_select())
            .load(c)
            .await
    })?;
    Ok(rows)
}

pub async fn list_users(conn: &mut DbConn) -> DbResult<Vec<User>> {
    let rows = with_conn!(conn, |c| {
        users::table
            .order(users::email)
            .select(User::as_select())
            .load(c)
            .await
    })?;
    Ok(rows)
}

/// Which account an update names.
#[derive(Debug, Clone, Copy)]
pub enum UserKey<'a> {
    Email(&'a str),
    Id(UserId),
}

/// What an account update did.
#[derive(Debug, Clone)]
pub enum UserUpdate {
    Updated(User),
    NotFound,
    /// Refused: no enabled admin would be left.
    WouldLeaveNoAdmin,
}

/// Applies `changes`, unless that leaves no enabled admin (checked in the
/// same transaction, so the last admin cannot lock everyone out).
pub async fn update_user(
    conn: &mut DbConn,
    key: UserKey<'_>,
    changes: &UserUpdateForm,
) -> DbResult<UserUpdate> {
    let id = match key {
        UserKey::Id(id) => id,
        UserKey::Email(email) => match user_by_email(conn, email).await? {
            Some(user) => user.id,
            None => return Ok(UserUpdate::NotFound),
        },
    };
    let outcome = with_conn!(conn, |c| {
        c.transaction::<_, diesel::result::Error, _>(async |c| {
            c.claim_writes().await?;
            let enabled_admins = async |c: &mut _| {
                users::table
                    .filter(users::role.eq(Role::Admin))
                    .filter(users::disabled.eq(false))
                    .count()
                    .get_result::<i64>(c)
                    .await
            };
            let before = enabled_admins(c).await?;
            let updated: Option<User> = diesel::update(users::table.filter(users::id.eq(id)))
                .set(changes)
                .returning(User::as_returning())
                .get_result(c)
                .await
                .optional()?;
            let Some(user) = updated else {
                return Ok(UserUpdate::NotFound);
            };
            if before > 0 && enabled_admins(c).await? == 0 {
                return Err(diesel::result::Error::RollbackTransaction);
            }
            Ok(UserUpdate::Updated(user))
        })
        .await
    });
    match outcome {
        Ok(outcome) => Ok(outcome),
        Err(diesel::result::Error::RollbackTransaction) => Ok(UserUpdate::WouldLeaveNoAdmin),
        Err(err) => Err(err.into()),
    }
}

pub async fn insert_session(conn: &mut DbConn, form: &SessionInsertForm) -> DbResult<Session> {
    let session = with_conn!(conn, |c| {
        diesel::insert_into(sessions::table)
            .values(form)
            .returning(Session::as_returning())
            .get_result(c)
            .await
    })?;
    Ok(session)
}

/// The session with this token hash and its user, whatever their state:
/// the caller decides what expired, revoked or disabled means.
pub async fn session_by_token_hash(
    conn: &mut DbConn,
    token_hash: &str,
) -> DbResult<Option<(Session, User)>> {
    let found = with_conn!(conn, |c| {
        sessions::table
            .inner_join(users::table)
            .filter(sessions::token_hash.eq(token_hash))
            .select((Session::as_select(), User::as_select()))
            .first(c)
            .await
            .optional()
    })?;
    Ok(found)
}

pub async fn revoke_session(conn: &mut DbConn, id: SessionId, now: NaiveDateTime) -> DbResult<()> {
    with_conn!(conn, |c| {
        diesel::update(sessions::table.find(id))
            .filter(sessions::revoked_at.is_null())
            .set(sessions::revoked_at.eq(now))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Records a sign-in attempt as a failure; returns its row id so that a
/// successful attempt can take it back.
pub async fn record_sign_in_failure(conn: &mut DbConn, form: &SignInFailureForm) -> DbResult<i64> {
    let id = with_conn!(conn, |c| {
        diesel::insert_into(sign_in_failures::table)
            .values(form)
            .returning(sign_in_failures::id)
            .get_result(c)
            .await
    })?;
    Ok(id)
}

pub async fn forget_sign_in_failure(conn: &mut DbConn, id: i64) -> DbResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(sign_in_failures::table.filter(sign_in_failures::id.eq(id)))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Drops failures of `email` older than `before`: they no longer count.
pub async fn prune_sign_in_failures(
    conn: &mut DbConn,
    email: &str,
    before: NaiveDateTime,
) -> DbResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(
            sign_in_failures::table
                .filter(sign_in_failures::email.eq(email))
                .filter(sign_in_failures::failed_at.lt(before)),
        )
        .execute(c)
        .await
    })?;
    Ok(())
}

/// Drops a user's sessions that expired or were revoked before `now`.
pub async fn prune_sessions(conn: &mut DbConn, user: UserId, now: NaiveDateTime) -> DbResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(
            sessions::table.filter(sessions::user_id.eq(user)).filter(
                sessions::expires_at
                    .le(now)
                    .or(sessions::revoked_at.is_not_null()),
            ),
        )
        .execute(c)
        .await
    })?;
    Ok(())
}

/// Times of the failed sign-ins for `email` at or after `since`, oldest first.
pub async fn sign_in_failures_since(
    conn: &mut DbConn,
    email: &str,
    since: NaiveDateTime,
) -> DbResult<Vec<NaiveDateTime>> {
    let times = with_conn!(conn, |c| {
        sign_in_failures::table
            .filter(sign_in_failures::email.eq(email))
            .filter(sign_in_failures::failed_at.ge(since))
            .order(sign_in_failures::failed_at)
            .select(sign_in_failures::failed_at)
            .load(c)
            .await
    })?;
    Ok(times)
}
