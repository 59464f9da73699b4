// Emergency numbers per country. libphonenumber-js has no short-number metadata (Google's
// ShortNumberInfo exists only in the Java/C++ libphonenumber), so they come from this table plus
// each dial plan's own `emergencyNumbers`. 112 is answered on every GSM network and across the EU;
// the rest are the national numbers of the countries listed.

const EVERYWHERE = ['112'];

const BY_COUNTRY: Record<string, string[]> = {
  US: ['911'], CA: ['911'], PR: ['911'], MX: ['911'], PH: ['911'], AR: ['911', '100', '101', '107'],
  GB: ['999'], IE: ['999'], HK: ['999'], MY: ['999', '994'], SG: ['995', '999'], AE: ['997', '998', '999'],
  SA: ['911', '997', '998', '999'], QA: ['999'], BH: ['999'], KE: ['999'], NG: ['199'],
  AU: ['000', '106'], NZ: ['111'], ZA: ['10111', '10177'],
  FR: ['15', '17', '18', '114', '115', '119', '191', '196', '197'], DE: ['110'], AT: ['122', '133', '144'],
  CH: ['117', '118', '144'], BE: ['100', '101'], LU: ['113'], ES: ['061', '062', '080', '085', '088', '091', '092'],
  IT: ['113', '115', '118'], GR: ['100', '166', '199'], NO: ['110', '113'], DK: ['114'],
  PL: ['997', '998', '999'], CZ: ['150', '155', '158'], SK: ['150', '155', '158'], HU: ['104', '105', '107'],
  TR: ['155', '156', '110'], RU: ['101', '102', '103', '104'], UA: ['101', '102', '103'],
  IL: ['100', '101', '102'], IN: ['100', '101', '102', '108'], CN: ['110', '119', '120', '122'],
  JP: ['110', '118', '119'], KR: ['119'], TW: ['110', '119'], BR: ['190', '192', '193'], CL: ['131', '132', '133'],
  CO: ['123'], PE: ['105', '116'],
};

/** The default emergency numbers of a country (112 everywhere, plus the national ones). */
export function defaultEmergencyNumbers(country: string | undefined): string[] {
  return [...EVERYWHERE, ...((country && BY_COUNTRY[country]) || [])];
}
