import { CalltrailError } from '../core/errors.js';
import type { Format } from './format.js';
import { threeCx } from './3cx/format.js';
import { asteriskCsv } from './asterisk-csv/format.js';
import { avayaIpo } from './avaya-ipo/format.js';
import { beronet } from './beronet/format.js';
import { cdrstatsCsv } from './cdrstats-csv/format.js';
import { ciscoCucm } from './cisco-cucm/format.js';
import { freeswitchCsv } from './freeswitch-csv/format.js';
import { gatewayEvents } from './gateway-events/format.js';
import { kamailioAcc } from './kamailio-acc/format.js';
import { mitelCs5000 } from './mitel-cs5000/format.js';
import { mitelIpSmdr } from './mitel-ipsmdr/format.js';
import { necNeax } from './nec-neax/format.js';
import { panasonic } from './panasonic/format.js';
import { siemensHipath } from './siemens-hipath/format.js';
import { sqlRow } from './sql-row/format.js';

// Adding a format is adding its folder and one line here.
const FORMATS: readonly Format[] = [
  cdrstatsCsv,
  necNeax,
  panasonic,
  siemensHipath,
  mitelCs5000,
  mitelIpSmdr,
  avayaIpo,
  beronet,
  gatewayEvents,
  asteriskCsv,
  freeswitchCsv,
  kamailioAcc,
  ciscoCucm,
  threeCx,
  sqlRow,
];

const byId = new Map(FORMATS.map((f) => [f.id, f]));

export function allFormats(): readonly Format[] {
  return FORMATS;
}

export function getFormat(id: string): Format {
  const format = byId.get(id);
  if (!format) {
    throw new CalltrailError('FORMAT_UNKNOWN', `unknown format "${id}"; known formats: ${[...byId.keys()].join(', ')}`);
  }
  return format;
}

export function hasFormat(id: string): boolean {
  return byId.has(id);
}
