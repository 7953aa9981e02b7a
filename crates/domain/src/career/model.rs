//! The career entries the domain hands its callers: guides and what they
//! list, skills, roles, what roles require, and the moves between roles.
//! Each wraps its stored row as the content types do (see `crate::model`).
//! The lists a guide or role keeps as JSON text have no accessor: callers
//! read them through `sections`, `reasons` and `responsibilities`.

use chrono::NaiveDateTime;
use waypost_db as db;
use waypost_db::{
    AuthorId, GuideId, GuideStatus, Importance, PostId, RoleId, Seniority, SkillCategory, SkillId,
    TransitionId,
};

use crate::freshness::Key;
use crate::model::wraps;

type At = NaiveDateTime;

wraps!(
    /// A guide in any state; `is_live` says whether readers see it.
    Guide(db::Guide) {
        read |_row| Key::Career;
        copy id: GuideId, author_id: AuthorId, status: GuideStatus, published_at: Option<At>,
            created_at: At, updated_at: At;
        text slug, title, field, summary;
    }
);

impl Guide {
    /// Whether readers see this guide at `now`.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.0.is_live(now)
    }
}

wraps!(
    /// A skill a guide teaches, at its place in the guide's list.
    GuideSkill(db::GuideSkill) {
        read |_row| Key::Career;
        copy guide_id: GuideId, skill_id: SkillId, importance: Importance, position: i32;
        text note;
    }
);

wraps!(
    /// A post a guide relates to, at its place in the guide's list.
    GuidePost(db::GuidePost) {
        read |_row| Key::Career;
        copy guide_id: GuideId, post_id: PostId, position: i32;
    }
);

wraps!(
    Skill(db::Skill) {
        read |_row| Key::Career;
        copy id: SkillId, category: SkillCategory, created_at: At, updated_at: At;
        text slug, name, description;
    }
);

wraps!(
    /// A job role on the career ladder.
    JobRole(db::JobRole) {
        read |_row| Key::Career;
        copy id: RoleId, seniority: Seniority, created_at: At, updated_at: At;
        text slug, title, summary;
    }
);

wraps!(
    /// A skill a role requires, at a proficiency from 1 to 5.
    RoleSkill(db::RoleSkill) {
        read |_row| Key::Career;
        copy role_id: RoleId, skill_id: SkillId, proficiency: i32;
    }
);

wraps!(
    /// A typical move from one role to another.
    Transition(db::Transition) {
        read |_row| Key::Career;
        copy id: TransitionId, from_role_id: RoleId, to_role_id: RoleId, months: i32,
            created_at: At, updated_at: At;
        text note;
    }
);
