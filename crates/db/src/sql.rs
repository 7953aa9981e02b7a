//! The SQL builder for the statements diesel's DSL cannot express (grouped
//! pages, recursive counts, full-text search): SQL text assembled from fixed
//! fragments, with every value travelling as a bind parameter in the
//! backend's placeholder syntax.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use diesel::QueryableByName;
use diesel::backend::Backend as DieselBackend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Double, HasSqlType, Text, Timestamp, Untyped};
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
    /// A list of ids as one PostgreSQL array (`= ANY($n)`).
    Ints(Vec<i64>),
    /// A list of texts as one PostgreSQL array (`= ANY($n)`).
    Texts(Vec<String>),
}

/// A piece of a statement: fixed text, or the value of a bind.
#[derive(Debug, Clone, Copy)]
enum Piece {
    Sql(&'static str),
    /// An index into the binds; a value may be named more than once.
    Param(usize),
}

/// Builds SQL text with numbered placeholders in the backend's syntax.
pub(crate) struct SqlBuilder {
    backend: Backend,
    /// The text as the database sees it, for plans and tests.
    pub(crate) sql: String,
    pub(crate) binds: Vec<Bind>,
    /// The same text, in pieces, as diesel is handed it.
    pieces: Vec<Piece>,
    /// Whether the text depends on a list's length (SQLite's `IN (?, ?)`):
    /// such a statement is not kept prepared, or each length would be.
    varies: bool,
}

impl SqlBuilder {
    pub(crate) fn new(backend: Backend) -> Self {
        SqlBuilder {
            backend,
            sql: String::with_capacity(512),
            binds: Vec::new(),
            pieces: Vec::with_capacity(32),
            varies: false,
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn push(&mut self, fragment: &'static str) -> &mut Self {
        self.sql.push_str(fragment);
        self.pieces.push(Piece::Sql(fragment));
        self
    }

    /// Adds a value and its placeholder; returns its number for reuse.
    pub(crate) fn bind(&mut self, value: Bind) -> usize {
        let n = self.value(value);
        self.placeholder(n);
        n
    }

    /// Adds a value without a placeholder yet; returns its number.
    pub(crate) fn value(&mut self, value: Bind) -> usize {
        self.binds.push(value);
        self.binds.len()
    }

    /// Writes the placeholder of value number `n` (1-based).
    pub(crate) fn placeholder(&mut self, n: usize) {
        use std::fmt::Write;
        let sigil = match self.backend {
            Backend::Postgres => '$',
            Backend::Sqlite => '?',
        };
        let _ = write!(self.sql, "{sigil}{n}");
        self.pieces.push(Piece::Param(n.saturating_sub(1)));
    }

    /// ` IN (...)` over `ids`, after a column: on PostgreSQL one array
    /// (` = ANY($n)`), so that the text, and the prepared statement, is the
    /// same whatever the list's length.
    pub(crate) fn in_list(&mut self, ids: &[i64]) {
        self.in_binds(
            || Bind::Ints(ids.to_vec()),
            ids.iter().map(|id| Bind::Int(*id)),
        );
    }

    /// ` IN (...)` over `texts`, after a column, as `in_list` does for ids.
    pub(crate) fn in_texts(&mut self, texts: &[String]) {
        self.in_binds(
            || Bind::Texts(texts.to_vec()),
            texts.iter().map(|text| Bind::Text(text.clone())),
        );
    }

    /// One array on PostgreSQL, each value spelled out on SQLite.
    fn in_binds(&mut self, array: impl FnOnce() -> Bind, each: impl Iterator<Item = Bind>) {
        match self.backend {
            Backend::Postgres => {
                self.push(" = ANY(");
                self.bind(array());
                self.push(")");
            }
            Backend::Sqlite => {
                self.varies = true;
                self.push(" IN (");
                for (i, value) in each.enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.bind(value);
                }
                self.push(")");
            }
        }
    }

    /// Marks a statement whose text depends on its input's size (a list of
    /// rows to insert), so that it is not kept prepared.
    pub(crate) fn varies(&mut self) {
        self.varies = true;
    }

    /// ` AND (column, id_column) op (value, id)`: a row-value comparison,
    /// which both backends answer with an index seek (the expanded form
    /// `a < v OR (a = v AND id < i)` makes PostgreSQL walk the index).
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

    /// Runs the statement and reads its rows.
    pub(crate) async fn load<T>(self, conn: &mut DbConn) -> DbResult<Vec<T>>
    where
        T: QueryableByName<Pg> + QueryableByName<Sqlite> + Send + 'static,
    {
        if PLANS.try_with(|_| ()).is_ok() {
            let plan = explain(&self, conn).await?;
            let _ = PLANS.try_with(|plans| {
                plans
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(plan)
            });
        }
        run::<T>(self.into_statement(), conn).await
    }

    /// Runs a statement that returns no rows a caller reads (a lock, an
    /// update), never explained: `EXPLAIN ANALYZE` would carry out a write
    /// a second time.
    pub(crate) async fn execute(self, conn: &mut DbConn) -> DbResult<()> {
        let statement = self.into_statement();
        with_conn!(conn, |c| statement.execute(c).await)?;
        Ok(())
    }

    fn into_statement(self) -> Statement {
        Statement {
            cached: !self.varies,
            pieces: self.pieces,
            binds: self.binds,
        }
    }

    /// The statement behind `prefix` (an `EXPLAIN`), never kept prepared.
    fn prefixed(&self, prefix: &'static str) -> Statement {
        Statement {
            pieces: std::iter::once(Piece::Sql(prefix))
                .chain(self.pieces.iter().copied())
                .collect(),
            binds: self.binds.clone(),
            cached: false,
        }
    }
}

/// A built statement as diesel runs it. Unlike `diesel::sql_query`, it may
/// be kept prepared: its text comes from fixed fragments only, so the same
/// shape of request finds the same statement, and PostgreSQL skips the
/// parse it would otherwise pay on every call, and the plan too once it
/// settles on one plan for all values (it keeps planning afresh while a
/// plan for the values at hand looks cheaper, as it does for most
/// `= ANY($1)` lookups: see BENCHMARKS.md).
struct Statement {
    pieces: Vec<Piece>,
    binds: Vec<Bind>,
    cached: bool,
}

impl QueryId for Statement {
    type QueryId = ();
    // Keyed by its text in the connection's statement cache.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement {
    type SqlType = Untyped;
}

/// How each backend binds a list of ids: PostgreSQL as one array; SQLite
/// never meets one (`in_list` spells its lists out).
trait ListBind: DieselBackend + HasSqlType<BigInt> + Sized {
    fn push_ints<'b>(out: &mut AstPass<'_, 'b, Self>, ids: &'b [i64]) -> QueryResult<()>;
    fn push_texts<'b>(out: &mut AstPass<'_, 'b, Self>, texts: &'b [String]) -> QueryResult<()>;
}

impl ListBind for Pg {
    fn push_ints<'b>(out: &mut AstPass<'_, 'b, Pg>, ids: &'b [i64]) -> QueryResult<()> {
        out.push_bind_param::<Array<BigInt>, [i64]>(ids)
    }
    fn push_texts<'b>(out: &mut AstPass<'_, 'b, Pg>, texts: &'b [String]) -> QueryResult<()> {
        out.push_bind_param::<Array<Text>, [String]>(texts)
    }
}

fn spelled_out() -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(
        "SQLite lists are spelled out as separate binds".into(),
    )
}

impl ListBind for Sqlite {
    fn push_ints<'b>(_: &mut AstPass<'_, 'b, Sqlite>, _: &'b [i64]) -> QueryResult<()> {
        Err(spelled_out())
    }
    fn push_texts<'b>(_: &mut AstPass<'_, 'b, Sqlite>, _: &'b [String]) -> QueryResult<()> {
        Err(spelled_out())
    }
}

impl<DB> QueryFragment<DB> for Statement
where
    DB: ListBind + HasSqlType<Text> + HasSqlType<Timestamp> + HasSqlType<Double>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    String: diesel::serialize::ToSql<Text, DB>,
    NaiveDateTime: diesel::serialize::ToSql<Timestamp, DB>,
    f64: diesel::serialize::ToSql<Double, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if !self.cached {
            out.unsafe_to_cache_prepared();
        }
        for piece in &self.pieces {
            match *piece {
                Piece::Sql(text) => out.push_sql(text),
                Piece::Param(i) => match self.binds.get(i) {
                    Some(Bind::Int(v)) => out.push_bind_param::<BigInt, i64>(v)?,
                    Some(Bind::Text(v)) => out.push_bind_param::<Text, String>(v)?,
                    Some(Bind::Time(v)) => out.push_bind_param::<Timestamp, NaiveDateTime>(v)?,
                    Some(Bind::Double(v)) => out.push_bind_param::<Double, f64>(v)?,
                    Some(Bind::Ints(v)) => DB::push_ints(&mut out, v)?,
                    Some(Bind::Texts(v)) => DB::push_texts(&mut out, v)?,
                    None => {
                        return Err(diesel::result::Error::QueryBuilderError(
                            format!("placeholder {} has no value", i + 1).into(),
                        ));
                    }
                },
            }
        }
        Ok(())
    }
}

async fn run<T>(statement: Statement, conn: &mut DbConn) -> DbResult<Vec<T>>
where
    T: QueryableByName<Pg> + QueryableByName<Sqlite> + Send + 'static,
{
    Ok(with_conn!(conn, |c| statement.load::<T>(c).await)?)
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

async fn explain(b: &SqlBuilder, conn: &mut DbConn) -> DbResult<String> {
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
            let statement = b.prefixed("EXPLAIN (ANALYZE, FORMAT JSON) ");
            let rows: Vec<PgPlan> = run(statement, conn).await?;
            Ok(rows.into_iter().map(|r| r.plan).collect())
        }
        DbConn::Sqlite(_) => {
            let statement = b.prefixed("EXPLAIN QUERY PLAN ");
            let rows: Vec<SqlitePlan> = run(statement, conn).await?;
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
