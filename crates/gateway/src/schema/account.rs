//! Accounts: `viewer`, `signIn`, `signOut`, and the `User` type.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use waypost_domain::account::{self, SignInOutcome};
use waypost_domain::{DomainError, FieldError, Role, User, UserErrorCode};

use super::payload::{UserError, payload};
use super::scalars::Instant;
use super::{AuthorObject, GlobalId, request_context};
use crate::error::{GqlResultExt, internal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "UserRole")]
pub enum RoleOutput {
    Author,
    Editor,
    Admin,
}

impl From<RoleOutput> for Role {
    fn from(role: RoleOutput) -> Self {
        match role {
            RoleOutput::Author => Role::Author,
            RoleOutput::Editor => Role::Editor,
            RoleOutput::Admin => Role::Admin,
        }
    }
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
pub(crate) struct UserObject(pub User);

#[Object(name = "User")]
impl UserObject {
    async fn id(&self) -> ID {
        GlobalId::User(self.0.id()).encode()
    }
    /// The account's own email; only its owner reaches this type.
    async fn email(&self) -> &str {
        self.0.email()
    }
    async fn display_name(&self) -> &str {
        self.0.display_name()
    }
    async fn role(&self) -> RoleOutput {
        self.0.role().into()
    }
    /// The author profile this account writes as, if any.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AuthorObject>> {
        let Some(author_id) = self.0.author_id() else {
            return Ok(None);
        };
        let loader = &request_context(ctx)?.loader;
        Ok(loader.load_one(author_id).await.gql()?.map(AuthorObject))
    }
}

#[derive(Default)]
pub(crate) struct AccountQuery;

#[Object]
impl AccountQuery {
    /// Every account (admins only).
    async fn users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UserObject>> {
        let rc = request_context(ctx)?;
        let users = account::manage_list_users(&rc.pool, rc.viewer.as_ref())
            .await
            .gql()?;
        Ok(users.into_iter().map(UserObject).collect())
    }

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
pub(crate) struct CreateUserInput {
    pub email: String,
    /// At least 10 characters.
    pub password: String,
    /// Defaults to the part of the email before `@`.
    pub display_name: Option<String>,
    pub role: RoleOutput,
    /// The author profile the account writes as.
    pub author_id: Option<ID>,
}

#[derive(InputObject)]
pub(crate) struct UpdateUserInput {
    pub id: ID,
    pub role: Option<RoleOutput>,
    /// A disabled account cannot sign in and its sessions stop working.
    pub disabled: Option<bool>,
    /// Links the account to the author profile it writes as.
    pub author_id: Option<ID>,
}

payload!(UserPayload {
    user: UserObject(User)
});

/// Input the user can fix becomes `userErrors`; anything else an error.
fn user_payload(result: Result<User, DomainError>) -> async_graphql::Result<UserPayload> {
    match result {
        Ok(user) => Ok(UserPayload::from(Ok(user))),
        Err(err) => match err.into_field_error() {
            Ok(fixable) => Ok(UserPayload::from(Err::<User, _>(vec![fixable]))),
            Err(other) => Err(crate::error::to_graphql(&other)),
        },
    }
}

#[derive(InputObject)]
pub(crate) struct SignInInput {
    pub email: String,
    pub password: String,
}

#[derive(SimpleObject)]
pub(crate) struct SignInPayload {
    /// Send it as `Authorization: Bearer <token>`. Shown once; only its hash is kept.
    pub token: Option<String>,
    pub expires_at: Option<Instant>,
    pub viewer: Option<UserObject>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub(crate) struct SignOutPayload {
    pub signed_out: bool,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub(crate) struct AccountMutation;

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
        let now = rc.now;
        let outcome = account::sign_in(&rc.pool, &rc.auth, &input.email, &input.password, now)
            .await
            .gql()?;
        Ok(match outcome {
            SignInOutcome::SignedIn(session) => SignInPayload {
                token: Some(session.token),
                expires_at: Some(Instant(session.expires_at)),
                viewer: Some(UserObject(session.user)),
                user_errors: Vec::new(),
            },
            SignInOutcome::InvalidCredentials => SignInPayload {
                token: None,
                expires_at: None,
                viewer: None,
                user_errors: vec![UserError::from(FieldError::new(
                    UserErrorCode::InvalidCredentials,
                    None,
                    "the email or the password is not right",
                ))],
            },
        })
    }

    /// Creates an account (admins only).
    #[graphql(guard = "crate::schema::signed_in")]
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> async_graphql::Result<UserPayload> {
        let rc = request_context(ctx)?;
        let author_id = input
            .author_id
            .as_ref()
            .map(|id| GlobalId::author(id, "authorId"))
            .transpose()?;
        let new = (|| {
            let email = account::EmailAddress::parse(&input.email)?;
            let password = account::NewPassword::parse(&input.password)?;
            Ok(account::NewUser {
                email,
                display_name: input.display_name.clone(),
                password,
                role: input.role.into(),
                author_id,
            })
        })();
        let result = match new {
            Ok(new) => account::manage_create_user(&rc.pool, rc.viewer.as_ref(), new, rc.now).await,
            Err(err) => {
                // Only admins learn what was wrong with the input.
                waypost_domain::policy::authorize(
                    rc.viewer.as_ref(),
                    waypost_domain::policy::Action::ManageUsers,
                )
                .gql()?;
                Err(err)
            }
        };
        user_payload(result)
    }

    /// Changes an account's role or disables it (admins only).
    #[graphql(guard = "crate::schema::signed_in")]
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        input: UpdateUserInput,
    ) -> async_graphql::Result<UserPayload> {
        let rc = request_context(ctx)?;
        let id = GlobalId::user(&input.id, "id")?;
        let author_id = input
            .author_id
            .as_ref()
            .map(|id| GlobalId::author(id, "authorId").map(Some))
            .transpose()?;
        let changes = account::UserChanges {
            disabled: input.disabled,
            role: input.role.map(Role::from),
            author_id,
        };
        user_payload(
            account::manage_update_user(&rc.pool, rc.viewer.as_ref(), id, changes, rc.now).await,
        )
    }

    /// Ends the current session: its token stops working at once.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<SignOutPayload> {
        let rc = request_context(ctx)?;
        let Some(viewer) = &rc.viewer else {
            return Err(crate::error::to_graphql(
                &waypost_domain::DomainError::Unauthenticated("sign in first"),
            ));
        };
        account::sign_out(&rc.pool, viewer, rc.now).await.gql()?;
        Ok(SignOutPayload {
            signed_out: true,
            user_errors: Vec::new(),
        })
    }
}
