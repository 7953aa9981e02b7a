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

    /// ` AND (column op v OR (column = v AND id_column op id))`: the rows
    /// strictly past a keyset in the order `op` names (`<` going down, `>`
    /// going up), with `value` bound once and used twice.
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
            .push(" ")
            .push(op)
            .push(" ");
        let value = self.bind(value);
        self.push(" OR (").push(column).push(" = ");
        self.placeholder(value);
        self.push(" AND ")
            .push(id_column)
            .push(" ")
            .push(op)
            .push(" ");
        self.bind(Bind::Int(id));
        self.push("))");
    }

    /// Runs the statement on `conn` and reads every row.
    pub(crate) async fn load<T>(self, conn: &mut DbConn) -> DbResult<Vec<T>>
    where
        T: QueryableByName<Pg> + QueryableByName<Sqlite> + Send + 'static,
    {
        let SqlBuilder { sql, binds, .. } = self;
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
}
