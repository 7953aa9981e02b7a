//! Accounts: `viewer`, `signIn`, `signOut`, and the `User` type.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use waypost_domain::account::{self, SignInOutcome};
use waypost_domain::{Role, User};

use super::{AuthorObject, GlobalId, request_context};
use crate::error::{GqlResultExt, internal};

/// A mistake in a mutation's input that the user can fix.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// The input field at fault, when there is one.
    pub field: Option<String>,
    pub message: String,
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "Role")]
pub enum RoleOutput {
    Author,
    Editor,
    Admin,
}

impl From<Role> for RoleOutput {
    fn from(role: Role) -> Self {
        match role {
            Role::Author => RoleOutput::Author,
            Role::Editor => RoleOutput::Editor,
            Role::Admin => RoleOutput::Admin,
        }
    }
}

/// A signed-in account, as its owner sees it.
pub struct UserObject(pub User);

#[Object(name = "User")]
impl UserObject {
    async fn id(&self) -> ID {
        GlobalId::User(self.0.id).encode()
    }
    /// The account's own email; only its owner reaches this type.
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn role(&self) -> RoleOutput {
        self.0.role.into()
    }
    /// The author profile this account writes as, if any.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AuthorObject>> {
        let Some(author_id) = self.0.author_id else {
            return Ok(None);
        };
        let loader = &request_context(ctx)?.loader;
        Ok(loader.load_one(author_id).await.gql()?.map(AuthorObject))
    }
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user; `null` for an anonymous request.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<UserObject>> {
        let rc = request_context(ctx)?;
        let Some(viewer) = &rc.viewer else {
            return Ok(None);
        };
        let user = rc.loader.load_one(viewer.user_id).await.gql()?;
        user.map(|u| Some(UserObject(u)))
            .ok_or_else(|| internal("signed-in user missing"))
    }
}

#[derive(InputObject)]
pub struct SignInInput {
    pub email: String,
    pub password: String,
}

#[derive(SimpleObject)]
pub struct SignInPayload {
    /// Send it as `Authorization: Bearer <token>`. Shown once; only its hash is kept.
    pub token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub viewer: Option<UserObject>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct SignOutPayload {
    pub signed_out: bool,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Starts a session. A wrong email, a wrong password and a disabled
    /// account get the same answer; repeated failures are RATE_LIMITED.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        input: SignInInput,
    ) -> async_graphql::Result<SignInPayload> {
        let rc = request_context(ctx)?;
        let now = Utc::now().naive_utc();
        let outcome = account::sign_in(&rc.pool, &rc.auth, &input.email, &input.password, now)
            .await
            .gql()?;
        Ok(match outcome {
            SignInOutcome::SignedIn(session) => SignInPayload {
                token: Some(session.token),
                expires_at: Some(session.expires_at.and_utc()),
                viewer: Some(UserObject(session.user)),
                user_errors: Vec::new(),
            },
            SignInOutcome::InvalidCredentials => SignInPayload {
                token: None,
                expires_at: None,
                viewer: None,
                user_errors: vec![UserError {
                    field: None,
                    message: "the email or the password is not right".into(),
                    code: "INVALID_CREDENTIALS".into(),
                }],
            },
        })
    }

    /// Ends the current session: its token stops working at once.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<SignOutPayload> {
        let rc = request_context(ctx)?;
        let Some(viewer) = &rc.viewer else {
            return Err(crate::error::to_graphql(
                &waypost_domain::DomainError::Unauthenticated("sign in first"),
            ));
        };
        account::sign_out(&rc.pool, viewer, Utc::now().naive_utc())
            .await
            .gql()?;
        Ok(SignOutPayload {
            signed_out: true,
            user_errors: Vec::new(),
        })
    }
}
