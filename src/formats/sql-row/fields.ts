// The fields a row pulled from a switch's CDR table can carry (src/sources/sql-pull maps source
// columns or SQL expressions onto them). Anything else goes under `extra.<name>`.

export const TIME_FIELDS = ['startedAt', 'answeredAt', 'endedAt'] as const;
export const SECOND_FIELDS = ['durationSeconds', 'talkSeconds', 'ringSeconds', 'holdSeconds'] as const;
export const TEXT_FIELDS = [
  'callId',
  'callerNumber',
  'callerName',
  'dialedNumber',
  'extension',
  'trunk',
  'accountCode',
  'transferredTo',
  'answeredBy',
] as const;
/** disposition: a word (ANSWERED, NO ANSWER, NORMAL_CLEARING, answered …), a Q.850 cause (0…127) or a SIP code (200…699). */
export const CODE_FIELDS = ['disposition', 'hangupCause', 'sipCode', 'direction'] as const;

export const ROW_FIELDS: readonly string[] = [...TIME_FIELDS, ...SECOND_FIELDS, ...TEXT_FIELDS, ...CODE_FIELDS];
const known = new Set(ROW_FIELDS);

export const EXTRA_PREFIX = 'extra.';
const EXTRA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True for a field name a mapping may use: one of ROW_FIELDS or `extra.<identifier>`. */
export function isRowField(name: string): boolean {
  return known.has(name) || (name.startsWith(EXTRA_PREFIX) && EXTRA_NAME.test(name.slice(EXTRA_PREFIX.length)));
}

/** Keys the source adds for itself (the row's position in its table); the parser ignores them. */
export const SOURCE_KEY_FIELDS = ['_key', '_tie'] as const;
