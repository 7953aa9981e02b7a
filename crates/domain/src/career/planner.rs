//! Career planning over the graph of job roles: the best route of transitions
//! from one role to another, the skills each move still asks for, and the
//! roles a person is already closest to.
//!
//! Everything here is pure: callers load roles, transitions and a person's
//! skills from storage and hand them in as plain values.

use std::cmp::Ordering;
use std::collections::HashMap;

/// Identifies a role (its row id).
pub(crate) type RoleKey = i64;
/// Identifies a skill (its row id).
pub(crate) type SkillKey = i64;
/// Identifies a transition between two roles (its row id).
pub(crate) type TransitionKey = i64;

/// A skill a role asks for, at a proficiency from 1 (basic) to 5 (expert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Requirement {
    pub skill: SkillKey,
    pub proficiency: u8,
}

/// A role as the planner sees it: who it is and which skills it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleNode {
    pub id: RoleKey,
    pub slug: String,
    pub required: Vec<Requirement>,
}

/// A known move from one role to another and how long it usually takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Edge {
    pub id: TransitionKey,
    pub from: RoleKey,
    pub to: RoleKey,
    /// Typical duration of the transition, in months.
    pub months: u32,
}

/// A skill a role requires that the person does not yet hold at the required
/// level. `current` is 0 when the person's level is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Gap {
    pub skill: SkillKey,
    pub required: u8,
    pub current: u8,
}

/// One move of a career plan: the role reached, the transition taken, and
/// the skills still to learn for that role at that point of the journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub role: RoleKey,
    pub transition: TransitionKey,
    pub gaps: Vec<Gap>,
}

/// Whether a route to the target role exists, and if so which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathOutcome {
    /// The person already holds the target role.
    AlreadyThere,
    /// No chain of known transitions leads to the target role.
    Unreachable,
    /// The best route, one step per transition.
    Found(Vec<Step>),
}

/// A career plan: the route to the target role and its typical duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub outcome: PathOutcome,
    /// Sum of the typical durations of the route's transitions; 0 when
    /// there is no move to make.
    pub total_months: u32,
}

/// A role suggested from the person's current skills: how much of it they
/// already cover (0..=1) and the skills still missing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recommendation {
    pub role: RoleKey,
    pub coverage: f64,
    pub missing: Vec<Gap>,
}

/// One role per id. Role ids are expected to be unique; if one is repeated,
/// the entry with the smallest (slug, requirements) wins so that the result
/// never depends on input order.
fn canonical_roles(roles: &[RoleNode]) -> HashMap<RoleKey, &RoleNode> {
    let mut by_id: HashMap<RoleKey, &RoleNode> = HashMap::with_capacity(roles.len());
    for role in roles {
        by_id
            .entry(role.id)
            .and_modify(|kept| {
                if (&role.slug, &role.required) < (&kept.slug, &kept.required) {
                    *kept = role;
                }
            })
            .or_insert(role);
    }
    by_id
}

/// The role graph with dense indices, built once per query.
struct Graph<'r, 'e> {
    roles: Vec<&'r RoleNode>,
    index: HashMap<RoleKey, usize>,
    /// Outgoing transitions per role, as (destination index, transition),
    /// in a fixed order independent of the input order.
    out: Vec<Vec<(usize, &'e Edge)>>,
}

impl<'r, 'e> Graph<'r, 'e> {
    fn new(roles: &'r [RoleNode], edges: &'e [Edge]) -> Self {
        let mut nodes: Vec<&RoleNode> = canonical_roles(roles).into_values().collect();
        nodes.sort_by_key(|role| role.id);
        let index: HashMap<RoleKey, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, role)| (role.id, i))
            .collect();
        let mut out: Vec<Vec<(usize, &Edge)>> = vec![Vec::new(); nodes.len()];
        for edge in edges {
            // Transitions touching unknown roles are ignored.
            if let (Some(&from), Some(&to)) = (index.get(&edge.from), index.get(&edge.to))
                && let Some(list) = out.get_mut(from)
            {
                list.push((to, edge));
            }
        }
        for list in &mut out {
            list.sort_by_key(|(to, edge)| (*to, edge.months, edge.id));
        }
        Graph {
            roles: nodes,
            index,
            out,
        }
    }

    fn slug(&self, role: usize) -> &str {
        self.roles.get(role).map_or("", |r| r.slug.as_str())
    }
}

/// Best known route to a role: its total months and its transitions, each
/// with the index of the role it reaches.
#[derive(Clone)]
struct Route<'a> {
    months: u64,
    steps: Vec<(usize, &'a Edge)>,
}

impl<'a> Route<'a> {
    fn extended(&self, to: usize, edge: &'a Edge) -> Self {
        let mut steps = Vec::with_capacity(self.steps.len() + 1);
        steps.extend_from_slice(&self.steps);
        steps.push((to, edge));
        Route {
            months: self.months + u64::from(edge.months),
            steps,
        }
    }

    /// Orders two routes with the same number of transitions: fewer months,
    /// then the smaller sequence of role slugs, then the smaller sequence of
    /// transition ids (then role ids and per-step months, so that the order
    /// is total even with inconsistent input).
    fn cmp(&self, other: &Self, graph: &Graph<'_, '_>) -> Ordering {
        self.months
            .cmp(&other.months)
            .then_with(|| {
                let mine = self.steps.iter().map(|(to, _)| graph.slug(*to));
                let theirs = other.steps.iter().map(|(to, _)| graph.slug(*to));
                mine.cmp(theirs)
            })
            .then_with(|| {
                let mine = self.steps.iter().map(|(_, e)| (e.id, e.to, e.months));
                let theirs = other.steps.iter().map(|(_, e)| (e.id, e.to, e.months));
                mine.cmp(theirs)
            })
    }
}

/// Finds the best chain of transitions from one role to another: fewest
/// transitions, then fewest total months, then the alphabetically smallest
/// sequence of role slugs along the way, then the smallest transition ids.
///
/// Returns `Some` with no transitions when both roles are the same, and
/// `None` when the target cannot be reached. Transitions from or to roles
/// missing from `roles` are ignored. The answer does not depend on the order
/// of the inputs.
pub(crate) fn shortest_path<'e>(
    roles: &[RoleNode],
    edges: &'e [Edge],
    from: RoleKey,
    to: RoleKey,
) -> Option<Vec<&'e Edge>> {
    if from == to {
        return Some(Vec::new());
    }
    let graph = Graph::new(roles, edges);
    let (&start, &target) = (graph.index.get(&from)?, graph.index.get(&to)?);

    // Breadth-first by number of transitions. Within a layer, the best route
    // to a role extends the best route to one of its predecessors in the
    // previous layer: the ordering compares routes of equal length
    // component-wise (sum, then sequences), so appending the same transition
    // to two routes keeps their order. Keeping only the best route per role
    // is therefore exact.
    let n = graph.roles.len();
    let mut depth: Vec<Option<usize>> = vec![None; n];
    let mut best: Vec<Option<Route<'e>>> = vec![None; n];
    depth[start] = Some(0);
    best[start] = Some(Route {
        months: 0,
        steps: Vec::new(),
    });
    let mut layer = vec![start];
    let mut k = 0usize;
    while !layer.is_empty() && depth[target].is_none() {
        let mut next = Vec::new();
        for &u in &layer {
            for &(v, edge) in &graph.out[u] {
                match depth[v] {
                    Some(d) if d <= k => continue,
                    Some(_) => {}
                    None => {
                        depth[v] = Some(k + 1);
                        next.push(v);
                    }
                }
                let Some(candidate) = best[u].as_ref().map(|r| r.extended(v, edge)) else {
                    continue;
                };
                let better = best[v]
                    .as_ref()
                    .is_none_or(|current| candidate.cmp(current, &graph) == Ordering::Less);
                if better {
                    best[v] = Some(candidate);
                }
            }
        }
        layer = next;
        k += 1;
    }

    best[target]
        .take()
        .map(|route| route.steps.into_iter().map(|(_, edge)| edge).collect())
}

/// Gaps between a role's requirements and the given proficiencies, in the
/// role's requirement order.
fn gaps_for(required: &[Requirement], have: &HashMap<SkillKey, u8>) -> Vec<Gap> {
    required
        .iter()
        .filter_map(|req| {
            let current = have.get(&req.skill).copied().unwrap_or(0);
            (current < req.proficiency).then_some(Gap {
                skill: req.skill,
                required: req.proficiency,
                current,
            })
        })
        .collect()
}

/// Plans a career move from one role to another along the best route of
/// transitions (see [`shortest_path`]). Each step lists the skills the
/// person still lacks for the role it reaches, assuming they acquired every
/// skill required by the roles reached at earlier steps.
pub(crate) fn plan(
    roles: &[RoleNode],
    edges: &[Edge],
    from: RoleKey,
    to: RoleKey,
    known: &HashMap<SkillKey, u8>,
) -> Plan {
    let Some(path) = shortest_path(roles, edges, from, to) else {
        return Plan {
            outcome: PathOutcome::Unreachable,
            total_months: 0,
        };
    };
    if path.is_empty() {
        return Plan {
            outcome: PathOutcome::AlreadyThere,
            total_months: 0,
        };
    }

    let by_id = canonical_roles(roles);
    let mut have = known.clone();
    let mut months: u64 = 0;
    let mut steps = Vec::with_capacity(path.len());
    for edge in path {
        months += u64::from(edge.months);
        let required: &[Requirement] = by_id.get(&edge.to).map_or(&[], |r| &r.required);
        steps.push(Step {
            role: edge.to,
            transition: edge.id,
            gaps: gaps_for(required, &have),
        });
        for req in required {
            let level = have.entry(req.skill).or_insert(0);
            *level = (*level).max(req.proficiency);
        }
    }
    Plan {
        outcome: PathOutcome::Found(steps),
        total_months: u32::try_from(months).unwrap_or(u32::MAX),
    }
}

/// Ranks the roles a person is closest to from the skills they hold: the
/// share of required proficiency they already cover, highest first, then
/// fewer missing skills, then slug. Roles without requirements are left out;
/// at most `first` roles are returned.
pub(crate) fn recommend(
    roles: &[RoleNode],
    known: &HashMap<SkillKey, u8>,
    first: usize,
) -> Vec<Recommendation> {
    struct Ranked<'a> {
        role: &'a RoleNode,
        covered: u64,
        total: u64,
        missing: Vec<Gap>,
    }

    let mut ranked: Vec<Ranked<'_>> = roles
        .iter()
        .filter(|role| !role.required.is_empty())
        .map(|role| {
            let (mut covered, mut total) = (0u64, 0u64);
            for req in &role.required {
                let current = known.get(&req.skill).copied().unwrap_or(0);
                covered += u64::from(current.min(req.proficiency));
                total += u64::from(req.proficiency);
            }
            if total == 0 {
                // Only zero-level requirements: nothing left to cover.
                (covered, total) = (1, 1);
            }
            Ranked {
                role,
                covered,
                total,
                missing: gaps_for(&role.required, known),
            }
        })
        .collect();

    ranked.sort_by(|a, b| {
        // a.covered / a.total vs b.covered / b.total, exactly, descending.
        let lhs = u128::from(b.covered) * u128::from(a.total);
        let rhs = u128::from(a.covered) * u128::from(b.total);
        lhs.cmp(&rhs)
            .then_with(|| a.missing.len().cmp(&b.missing.len()))
            .then_with(|| a.role.slug.cmp(&b.role.slug))
            .then_with(|| a.role.id.cmp(&b.role.id))
            .then_with(|| a.missing.cmp(&b.missing))
    });

    ranked
        .into_iter()
        .take(first)
        .map(|r| Recommendation {
            role: r.role.id,
            coverage: r.covered as f64 / r.total as f64,
            missing: r.missing,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
