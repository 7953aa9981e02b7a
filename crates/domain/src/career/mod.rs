//! Career-path guides: the catalogue of skills, roles and the transitions
//! between them, guides that tie them together, and the planner's questions
//! ("how do I get from here to there", "which roles suit what I know")
//! answered over the stored role graph.
//!
//! Every write, whatever its kind, goes through `save` (see `write`).

mod catalogue;
mod guide;
mod lists;
mod model;
mod pages;
mod plan;
mod planner;
mod read;
mod write;

pub use catalogue::{RoleFields, SkillFields, TransitionFields};
pub use guide::{GuideFields, GuideSkillInput, set_guide_published};
pub use lists::{Reason, Section, reasons, responsibilities, search_text, sections};
pub use model::{Guide, GuidePost, GuideSkill, JobRole, RoleSkill, Skill, Transition};
pub use pages::{
    Page, count_guides, count_roles, count_skills, guide_cursor, guides_page, roles_page,
    skills_page, slug_cursor,
};
pub use plan::{
    CareerPlan, PlannedStep, RoleMatch, SkillGap, SkillLevel, career_path, recommend_roles,
};
pub use read::{
    guide_by_slug, guide_is_live, guide_posts, guide_roles, guide_skills, guide_visible,
    guides_by_ids, guides_teaching, live_guides_by_ids, related_skills, requirements, role_by_slug,
    roles_by_ids, roles_requiring, skill_by_slug, skills_by_ids, transitions_by_ids,
    transitions_of,
};
pub use write::{EntryId, Fields, Write, delete, save};

/// The most entries a list in a career write or question may hold.
const MAX_LIST: usize = 100;
