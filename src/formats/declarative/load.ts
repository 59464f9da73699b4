import { existsSync, readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { formatIssues, type ConfigProblem } from '../../config/load.js';
import { CalltrailError } from '../../core/errors.js';
import { compileDefinition, type DeclarativeFormat } from './compile.js';
import { definitionSchema } from './schema.js';

// A definition file: YAML → validated definition (every problem with its path and line) → Format.

export type DefinitionLoad = { ok: true; format: DeclarativeFormat } | { ok: false; problems: ConfigProblem[] };

/** The line of the deepest YAML node on an issue's path (a missing key points at its parent). */
function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const keys = path.slice(0, n).map((k) => (typeof k === 'symbol' ? String(k) : k));
    const node = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
    if ((isMap(node) || isSeq(node) || isScalar(node)) && node.range) return counter.linePos(node.range[0]).line;
  }
  return null;
}

/** Validates and compiles the text of a definition; `where` names it in messages (a file name). */
export function parseDefinition(text: string, where = 'definition'): DefinitionLoad {
  const counter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter: counter });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: '(yaml)',
        message: `${where}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0] ?? e.message}`,
      })),
    };
  }
  const value: unknown = doc.toJS();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problems: [{ path: '(top level)', message: `${where}: expected a mapping (id, name, layout, …)` }] };
  }
  const result = definitionSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues;
    const located = formatIssues(issues).map((p, i) => {
      const issue = issues[i]!;
      // A bad record key says why in its nested issue; an unknown key is found at its own line.
      const message = issue.code === 'invalid_key' ? `bad key: ${issue.issues[0]?.message ?? issue.message}` : p.message;
      const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
      const line = lineOf(doc, counter, at);
      return { line: line ?? Infinity, problem: { path: p.path, message: line === null ? message : `${message} (line ${line})` } };
    });
    // In the order of the file, as a reader goes through it.
    return { ok: false, problems: located.sort((a, b) => a.line - b.line).map((l) => l.problem) };
  }
  return { ok: true, format: compileDefinition(result.data) };
}

/** Reads a definition file; a missing or unreadable file is one problem (path "(file)"), not a throw. */
export function readDefinitionFile(file: string): DefinitionLoad {
  if (!existsSync(file)) return { ok: false, problems: [{ path: '(file)', message: `${file}: no such file` }] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ path: '(file)', message: `${file}: ${(err as Error).message}` }] };
  }
  return parseDefinition(text, file);
}

/** Loads a definition file or throws CONFIG_INVALID with every problem in details. */
export function loadFormatFile(file: string): DeclarativeFormat {
  if (!existsSync(file)) throw new CalltrailError('FILE_NOT_FOUND', `${file}: no such file`);
  const loaded = readDefinitionFile(file);
  if (!loaded.ok) {
    throw new CalltrailError('CONFIG_INVALID', `${file}: ${loaded.problems.length} problem(s) in the format definition`, loaded.problems);
  }
  return loaded.format;
}
