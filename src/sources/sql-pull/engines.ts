import Sqlite from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';

// One small seam over the three engines a switch writes its CDRs to. Values come back as the
// engine sent them: dates as the engine's text (never a JS Date, whose zone handling would shift
// them), whole numbers as numbers, 64-bit integers and decimals as text.

export type Row = Record<string, unknown>;
export type EngineKind = 'sqlite' | 'mysql' | 'postgres';

export interface SqlEngine {
  readonly kind: EngineKind;
  /** Where the data is, for messages (URL without the password, or the file). */
  readonly location: string;
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** One identifier, quoted for this engine. */
  quoteIdent(name: string): string;
  /** The placeholder of the i-th parameter (1-based). */
  placeholder(i: number): string;
  /** The table as the engine spells it and its column names, or null when there is no such table. `table` may be "schema.table". */
  columns(table: string): Promise<TableColumns | null>;
  close(): Promise<void>;
}

export interface TableColumns {
  table: string;
  columns: string[];
}

export interface EngineTarget {
  engine: EngineKind;
  url?: string | undefined;
  path?: string | undefined;
  /** SQLite: open for writing (the flag-column mode updates the table). Default read-only. */
  write?: boolean;
}

export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

function splitTable(table: string): { schema: string | null; name: string } {
  const dot = table.indexOf('.');
  return dot < 0 ? { schema: null, name: table } : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

/** Blobs as text (a CDR column of type BLOB holds text); everything else as the driver gave it. */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

function plainRows(rows: Row[]): Row[] {
  for (const row of rows) for (const k in row) row[k] = plain(row[k]);
  return rows;
}

// ------------------------------------------------------------------------------------- SQLite

class SqliteEngine implements SqlEngine {
  readonly kind = 'sqlite' as const;
  private readonly db: Sqlite.Database;
  private readonly statements = new Map<string, Sqlite.Statement>();

  constructor(
    readonly location: string,
    write: boolean,
  ) {
    this.db = new Sqlite(location, { readonly: !write, fileMustExist: true, timeout: 5000 });
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.statements.size > 50) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    const args = params.map((p) => (typeof p === 'boolean' ? Number(p) : p));
    if (!stmt.reader) {
      stmt.run(...args);
      return [];
    }
    return plainRows(stmt.all(...args) as Row[]);
  }

  quoteIdent(name: string): string {
    return '"' + name.replace(/"/g, '""') + '"';
  }

  placeholder(): string {
    return '?';
  }

  async columns(table: string): Promise<TableColumns | null> {
    const { schema, name } = splitTable(table);
    const pragma = `PRAGMA ${schema ? this.quoteIdent(schema) + '.' : ''}table_info(${this.quoteIdent(name)})`;
    const rows = this.db.prepare(pragma).all() as { name: string }[];
    return rows.length === 0 ? null : { table, columns: rows.map((r) => r.name) };
  }

  async close(): Promise<void> {
    this.statements.clear();
    this.db.close();
  }
}

// ------------------------------------------------------------------------------ MySQL / MariaDB

class MysqlEngine implements SqlEngine {
  readonly kind = 'mysql' as const;
  broken: Error | null = null;

  private constructor(
    private readonly conn: mysql.Connection,
    readonly location: string,
  ) {
    // A dropped connection is reported by the next query; without a listener it would crash the process.
    conn.on('error', (err: Error) => {
      this.broken = err;
    });
  }

  static async open(url: string): Promise<MysqlEngine> {
    const conn = await mysql.createConnection({
      uri: url.replace(/^mariadb:/, 'mysql:'),
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      connectTimeout: 10_000,
      multipleStatements: false,
    });
    return new MysqlEngine(conn, withoutPassword(url));
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    if (this.broken) throw this.broken;
    const [rows] = await this.conn.query({ sql, values: params as unknown[], timeout: 120_000 });
    return Array.isArray(rows) ? plainRows(rows as Row[]) : [];
  }

  quoteIdent(name: string): string {
    return '`' + name.replace(/`/g, '``') + '`';
  }

  placeholder(): string {
    return '?';
  }

  async columns(table: string): Promise<TableColumns | null> {
    const { schema, name } = splitTable(table);
    const rows = await this.query(
      'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [schema, name],
    );
    return rows.length === 0 ? null : { table, columns: rows.map((r) => String(r.name)) };
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => this.conn.destroy());
  }
}

// ---------------------------------------------------------------------------------- PostgreSQL

// int2, int4, oid, float4, float8 as numbers; bool as a boolean; everything else as the server's text.
const NUMBER_OIDS = new Set([21, 23, 26, 700, 701]);
const asText = (v: string): string => v;
const getTypeParser = ((oid: number) => (oid === 16 ? (v: string) => v === 't' : NUMBER_OIDS.has(oid) ? Number : asText)) as unknown as pg.CustomTypesConfig['getTypeParser'];

class PostgresEngine implements SqlEngine {
  readonly kind = 'postgres' as const;
  broken: Error | null = null;

  private constructor(
    private readonly client: pg.Client,
    readonly location: string,
  ) {
    client.on('error', (err: Error) => {
      this.broken = err;
    });
  }

  static async open(url: string): Promise<PostgresEngine> {
    const client = new pg.Client({
      connectionString: url,
      types: { getTypeParser },
      connectionTimeoutMillis: 10_000,
      query_timeout: 120_000,
      application_name: 'calltrail-sql-pull',
    });
    const engine = new PostgresEngine(client, withoutPassword(url));
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return engine;
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    if (this.broken) throw this.broken;
    const result = await this.client.query({ text: sql, values: params as unknown[] });
    return plainRows(result.rows as Row[]);
  }

  quoteIdent(name: string): string {
    return '"' + name.replace(/"/g, '""') + '"';
  }

  placeholder(i: number): string {
    return '$' + i;
  }

  async columns(table: string): Promise<TableColumns | null> {
    const { schema, name } = splitTable(table);
    const rows = await this.query(
      'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = COALESCE($1::text, current_schema()) AND table_name = $2 ORDER BY ordinal_position',
      [schema, name],
    );
    if (rows.length > 0) return { table, columns: rows.map((r) => String(r.name)) };
    // An unquoted name folds to lower case in PostgreSQL: "CDR" is cdr.
    if (name !== name.toLowerCase()) return this.columns((schema ? schema + '.' : '') + name.toLowerCase());
    return null;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

export async function openEngine(target: EngineTarget): Promise<SqlEngine> {
  switch (target.engine) {
    case 'sqlite':
      return new SqliteEngine(target.path!, target.write === true);
    case 'mysql':
      return MysqlEngine.open(target.url!);
    case 'postgres':
      return PostgresEngine.open(target.url!);
  }
}
