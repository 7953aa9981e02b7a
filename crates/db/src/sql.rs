//! The SQL builder for the statements diesel's DSL cannot express (grouped
//! pages, recursive counts, full-text search): SQL text assembled from fixed
//! fragments, with every value travelling as a bind parameter in the
//! backend's placeholder syntax.

use chrono::NaiveDateTime;
use diesel::QueryableByName;
use diesel::pg::Pg;
use diesel::sql_types::{BigInt, Double, Text, Timestamp};
use diesel::sqlite::Sqlite;
use diesel_async::RunQueryDsl;

use crate::error::DbResult;
use crate::pool::{Backend, DbConn, with_conn};

/// A value to bind, in placeholder order.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Int(i64),
    Text(String),
    Time(NaiveDateTime),
    Double(f64),
}

/// Builds SQL text with numbered placeholders in the backend's syntax.
pub(crate) struct SqlBuilder {
    backend: Backend,
    pub(crate) sql: String,
    pub(crate) binds: Vec<Bind>,
}

impl SqlBuilder {
    pub(crate) fn new(backend: Backend) -> Self {
        SqlBuilder {
            backend,
            sql: String::with_capacity(512),
            binds: Vec::new(),
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn push(&mut self, fragment: &'static str) -> &mut Self {
        self.sql.push_str(fragment);
        self
    }

    /// Appends a placeholder for `value`; returns its number so it can be reused.
    pub(crate) fn bind(&mut self, value: Bind) -> usize {
        self.binds.push(value);
        let n = self.binds.len();
        self.placeholder(n);
        n
    }

    /// Registers `value` without writing its placeholder; write it with
    /// `placeholder` where it belongs, as often as needed.
    pub(crate) fn value(&mut self, value: Bind) -> usize {
        self.binds.push(value);
        self.binds.len()
    }

    pub(crate) fn placeholder(&mut self, n: usize) {
        use std::fmt::Write;
        let sigil = match self.backend {
            Backend::Postgres => '$',
            Backend::Sqlite => '?',
        };
        // Writing into a String cannot fail.
        let _ = write!(self.sql, "{sigil}{n}");
    }

    pub(crate) fn bind_list(&mut self, ids: &[i64]) {
        self.push("(");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Bind::Int(*id));
        }
        self.push(")");
    }

    /// ` AND (column, id_column) op (v, id)`: the rows strictly past a
    /// keyset in the order `op` names (`<` going down, `>` going up). Both
    /// backends compare row values in an index's order, so a page deep in
    /// the archive, or a post's neighbour, is one index seek; the spelled
    /// out `a < v OR (a = v AND id < i)` is a filter over every row before.
    pub(crate) fn past_keyset(
        &mut self,
        column: &'static str,
        id_column: &'static str,
        op: &'static str,
        value: Bind,
        id: i64,
    ) {
        self.push(" AND (")
            .push(column)
            .push(", ")
            .push(id_column)
            .push(") ")
            .push(op)
            .push(" (");
        self.bind(value);
        self.push(", ");
        self.bind(Bind::Int(id));
        self.push(")");
    }

    /// Runs the statement on `conn` and reads every row.
    pub(crate) async fn load<T>(self, conn: &mut DbConn) -> DbResult<Vec<T>>
    where
        T: QueryableByName<Pg> + QueryableByName<Sqlite> + Send + 'static,
    {
        if PLANS.try_with(|_| ()).is_ok() {
            let plan = explain(&self.sql, &self.binds, conn).await?;
            let _ = PLANS.try_with(|plans| {
                plans
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(plan)
            });
        }
        let SqlBuilder { sql, binds, .. } = self;
        run::<T>(sql, binds, conn).await
    }
}

async fn run<T>(sql: String, binds: Vec<Bind>, conn: &mut DbConn) -> DbResult<Vec<T>>
where
    T: QueryableByName<Pg> + QueryableByName<Sqlite> + Send + 'static,
{
    let rows = with_conn!(conn, |c| {
        let mut query = diesel::sql_query(sql).into_boxed();
        for bind in binds {
            query = match bind {
                Bind::Int(v) => query.bind::<BigInt, _>(v),
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::Time(v) => query.bind::<Timestamp, _>(v),
                Bind::Double(v) => query.bind::<Double, _>(v),
            };
        }
        query.load::<T>(c).await
    })?;
    Ok(rows)
}

tokio::task_local! {
    static PLANS: std::sync::Mutex<Vec<String>>;
}

/// Runs `work`, and returns with its output the plan of every statement
/// built here that it ran, as the database chose it: `EXPLAIN (ANALYZE,
/// FORMAT JSON)` on PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite (one line a
/// step). Each statement then runs twice; this is for tests that prove a
/// query's cost does not grow with the archive.
pub async fn explaining<F: Future>(work: F) -> (F::Output, Vec<String>) {
    PLANS
        .scope(std::sync::Mutex::new(Vec::new()), async {
            let output = work.await;
            let plans = PLANS
                .try_with(|plans| {
                    std::mem::take(
                        &mut *plans
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner),
                    )
                })
                .unwrap_or_default();
            (output, plans)
        })
        .await
}

async fn explain(sql: &str, binds: &[Bind], conn: &mut DbConn) -> DbResult<String> {
    #[derive(QueryableByName)]
    struct PgPlan {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        plan: String,
    }
    #[derive(QueryableByName)]
    struct SqlitePlan {
        #[diesel(sql_type = Text)]
        detail: String,
    }
    // The statement is this module's own text; its values stay bound.
    match conn {
        DbConn::Pg(_) => {
            let text = ["EXPLAIN (ANALYZE, FORMAT JSON) ", sql].concat();
            let rows: Vec<PgPlan> = run(text, binds.to_vec(), conn).await?;
            Ok(rows.into_iter().map(|r| r.plan).collect())
        }
        DbConn::Sqlite(_) => {
            let text = ["EXPLAIN QUERY PLAN ", sql].concat();
            let rows: Vec<SqlitePlan> = run(text, binds.to_vec(), conn).await?;
            Ok(rows
                .into_iter()
                .map(|r| r.detail)
                .collect::<Vec<_>>()
                .join("\n"))
        }
    }
}

/// `(column, id_column) < (at, id)` for diesel's query builder: the rows
/// before a keyset, newest first, as one index seek (see
/// [`SqlBuilder::past_keyset`]). The column names are literals in code;
/// the values are bound.
macro_rules! row_before {
    ($column:literal, $id_column:literal, $at:expr, $id:expr $(,)?) => {
        diesel::dsl::sql::<diesel::sql_types::Bool>(concat!(
            "(", $column, ", ", $id_column, ") < ("
        ))
        .bind::<diesel::sql_types::Timestamp, _>($at)
        .sql(", ")
        .bind::<diesel::sql_types::BigInt, _>($id)
        .sql(")")
    };
}
pub(crate) use row_before;
