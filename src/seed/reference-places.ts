/**
 * Reference geography of the demo base: countries with their currency, price level and mobile number
 * ranges, and cities with their region, time zone, locales and postal code patterns.
 */

import { cumulative } from './random.js';

/** One city customers may live in. */
export interface CityRef {
  name: string;
  region: string;
  timeZone: string;
  /** Standard-time UTC offset of the zone, to put activity in local waking hours. */
  offsetMs: number;
  /** Population-like weight inside the country. */
  weight: number;
  /** Locales spoken there, repeated to weight them. */
  locales: readonly string[];
  /** Postal code patterns: `#` a digit, `@` a letter. */
  postal: readonly string[];
  /** North American area codes (US, CA); European mobiles use the country's prefixes. */
  areaCodes?: readonly string[];
}

/** One country customers may live in, its cities weighted inside it. */
export interface CountryRef {
  code: string;
  weight: number;
  currency: string;
  /** Rough price level against EUR, so a GBP basket is not 15% dearer than the same EUR basket. */
  priceFactor: number;
  callingCode: string;
  /** National mobile prefixes every suffix of which libphonenumber (max metadata) accepts. */
  mobilePrefixes: readonly string[];
  /** Digits after the prefix. */
  suffixDigits: number;
  cities: readonly CityRef[];
  cityCumulative: Float64Array;
}

/**
 * Standard-time offsets (hours) of the zones used, written out rather than read from ICU so that the
 * output does not depend on the runtime's time zone data; daylight saving time (an hour) is ignored.
 */
const STANDARD_OFFSET_HOURS: Record<string, number> = {
  'Europe/Paris': 1, 'Indian/Reunion': 4, 'Europe/Brussels': 1, 'Europe/Zurich': 1, 'Europe/Berlin': 1, 'Europe/Madrid': 1,
  'Atlantic/Canary': 0, 'Europe/Rome': 1, 'Europe/London': 0, 'America/New_York': -5, 'America/Chicago': -6,
  'America/Denver': -7, 'America/Phoenix': -7, 'America/Los_Angeles': -8, 'America/Toronto': -5, 'America/Vancouver': -8,
  'America/Edmonton': -7, 'America/Winnipeg': -6, 'America/Halifax': -4,
};

function city(name: string, region: string, timeZone: string, weight: number, locales: readonly string[], postal: readonly string[], areaCodes?: readonly string[]): CityRef {
  const hours = STANDARD_OFFSET_HOURS[timeZone];
  if (hours === undefined) throw new Error(`no standard offset for ${timeZone}`);
  return { name, region, timeZone, offsetMs: hours * 3_600_000, weight, locales, postal, areaCodes };
}

function country(
  code: string,
  weight: number,
  currency: string,
  priceFactor: number,
  callingCode: string,
  mobilePrefixes: readonly string[],
  suffixDigits: number,
  cities: readonly CityRef[],
): CountryRef {
  return { code, weight, currency, priceFactor, callingCode, mobilePrefixes, suffixDigits, cities, cityCumulative: cumulative(cities.map((c) => c.weight)) };
}

// Mobile prefixes were checked against libphonenumber-js/max: FR 63x/69x, GB 77x/79x are only partly
// allocated, so they are left out (a generated number must always be valid).
const FR = ['fr-FR'];
/** Countries, weighted by their share of customers. */
export const COUNTRIES: readonly CountryRef[] = [
  country('FR', 30, 'EUR', 1, '33', ['60', '61', '62', '64', '65', '66', '67', '68', '73', '74', '75', '76', '77', '78'], 7, [
    city('Paris', 'Île-de-France', 'Europe/Paris', 22, FR, ['7500#', '7501#']),
    city('Marseille', "Provence-Alpes-Côte d'Azur", 'Europe/Paris', 9, FR, ['1300#', '1301#']),
    city('Lyon', 'Auvergne-Rhône-Alpes', 'Europe/Paris', 8, FR, ['6900#']),
    city('Toulouse', 'Occitanie', 'Europe/Paris', 6, FR, ['31000', '31100', '31200', '31300', '31400', '31500']),
    city('Nice', "Provence-Alpes-Côte d'Azur", 'Europe/Paris', 4, FR, ['06000', '06100', '06200', '06300']),
    city('Nantes', 'Pays de la Loire', 'Europe/Paris', 4, FR, ['44000', '44100', '44200', '44300']),
    city('Strasbourg', 'Grand Est', 'Europe/Paris', 4, FR, ['67000', '67100', '67200']),
    city('Montpellier', 'Occitanie', 'Europe/Paris', 4, FR, ['34000', '34070', '34080', '34090']),
    city('Bordeaux', 'Nouvelle-Aquitaine', 'Europe/Paris', 4, FR, ['33000', '33100', '33200', '33300', '33800']),
    city('Lille', 'Hauts-de-France', 'Europe/Paris', 4, FR, ['59000', '59160', '59260', '59800']),
    city('Rennes', 'Bretagne', 'Europe/Paris', 3, FR, ['35000', '35200', '35700']),
    city('Grenoble', 'Auvergne-Rhône-Alpes', 'Europe/Paris', 2, FR, ['38000', '38100']),
    city('Dijon', 'Bourgogne-Franche-Comté', 'Europe/Paris', 2, FR, ['21000']),
    city('Saint-Denis', 'La Réunion', 'Indian/Reunion', 1, FR, ['97400', '97490']),
  ]),
  country('BE', 8, 'EUR', 1, '32', ['460', '465', '466', '467', '468', '470', '471', '472', '473', '474', '475', '476', '477', '478', '479', '483', '484', '485', '486', '487', '488', '489', '490', '491', '492', '493', '494', '495', '496', '497', '498', '499'], 6, [
    city('Bruxelles', 'Région de Bruxelles-Capitale', 'Europe/Brussels', 10, ['fr-BE', 'fr-BE', 'fr-BE', 'nl-BE'], ['10#0', '1180']),
    city('Antwerpen', 'Vlaanderen', 'Europe/Brussels', 8, ['nl-BE'], ['2000', '2018', '2020', '2030', '2060']),
    city('Gent', 'Vlaanderen', 'Europe/Brussels', 5, ['nl-BE'], ['9000', '9030', '9040', '9050']),
    city('Liège', 'Wallonie', 'Europe/Brussels', 4, ['fr-BE'], ['4000', '4020', '4030']),
    city('Charleroi', 'Wallonie', 'Europe/Brussels', 3, ['fr-BE'], ['6000', '6001', '6010']),
    city('Namur', 'Wallonie', 'Europe/Brussels', 2, ['fr-BE'], ['5000', '5002']),
    city('Brugge', 'Vlaanderen', 'Europe/Brussels', 2, ['nl-BE'], ['8000', '8200']),
  ]),
  country('CH', 5, 'CHF', 1.05, '41', ['75', '76', '77', '78', '79'], 7, [
    city('Zürich', 'Zürich', 'Europe/Zurich', 8, ['de-CH'], ['800#']),
    city('Genève', 'Genève', 'Europe/Zurich', 5, ['fr-CH'], ['120#']),
    city('Basel', 'Basel-Stadt', 'Europe/Zurich', 4, ['de-CH'], ['405#']),
    city('Lausanne', 'Vaud', 'Europe/Zurich', 3, ['fr-CH'], ['100#']),
    city('Bern', 'Bern', 'Europe/Zurich', 3, ['de-CH'], ['301#']),
    city('Lugano', 'Ticino', 'Europe/Zurich', 1, ['it-CH'], ['6900', '6901', '6903']),
  ]),
  country('DE', 14, 'EUR', 1, '49', ['151', '152', '155', '157', '159', '160', '162', '163', '170', '171', '172', '173', '174', '175', '176', '177', '178', '179'], 8, [
    city('Berlin', 'Berlin', 'Europe/Berlin', 12, ['de-DE'], ['101##', '104##', '109##', '120##', '130##']),
    city('Hamburg', 'Hamburg', 'Europe/Berlin', 7, ['de-DE'], ['200##', '220##']),
    city('München', 'Bayern', 'Europe/Berlin', 6, ['de-DE'], ['803##', '806##', '809##']),
    city('Köln', 'Nordrhein-Westfalen', 'Europe/Berlin', 4, ['de-DE'], ['506##', '509##']),
    city('Frankfurt am Main', 'Hessen', 'Europe/Berlin', 3, ['de-DE'], ['603##', '604##']),
    city('Stuttgart', 'Baden-Württemberg', 'Europe/Berlin', 3, ['de-DE'], ['701##', '703##']),
    city('Düsseldorf', 'Nordrhein-Westfalen', 'Europe/Berlin', 3, ['de-DE'], ['402##', '404##']),
    city('Leipzig', 'Sachsen', 'Europe/Berlin', 2, ['de-DE'], ['041##', '043##']),
    city('Dresden', 'Sachsen', 'Europe/Berlin', 2, ['de-DE'], ['010##', '013##']),
  ]),
  country('ES', 10, 'EUR', 0.95, '34', ['60', '61', '62', '63', '64', '65', '66', '67', '68', '69', '71', '72', '73', '74'], 7, [
    city('Madrid', 'Comunidad de Madrid', 'Europe/Madrid', 12, ['es-ES'], ['280##']),
    city('Barcelona', 'Cataluña', 'Europe/Madrid', 9, ['es-ES', 'ca-ES'], ['080##']),
    city('Valencia', 'Comunitat Valenciana', 'Europe/Madrid', 5, ['es-ES'], ['460##']),
    city('Sevilla', 'Andalucía', 'Europe/Madrid', 4, ['es-ES'], ['410##']),
    city('Zaragoza', 'Aragón', 'Europe/Madrid', 3, ['es-ES'], ['500##']),
    city('Málaga', 'Andalucía', 'Europe/Madrid', 3, ['es-ES'], ['290##']),
    city('Bilbao', 'País Vasco', 'Europe/Madrid', 2, ['es-ES'], ['480##']),
    city('Palma', 'Illes Balears', 'Europe/Madrid', 2, ['es-ES', 'ca-ES'], ['070##']),
    city('Las Palmas de Gran Canaria', 'Canarias', 'Atlantic/Canary', 2, ['es-ES'], ['350##']),
  ]),
  country('IT', 9, 'EUR', 1, '39', ['320', '324', '327', '328', '329', '330', '331', '333', '334', '335', '336', '337', '338', '339', '340', '342', '345', '346', '347', '348', '349', '350', '351', '360', '366', '368', '371', '375', '377', '380', '388', '389', '391', '392', '393'], 7, [
    city('Roma', 'Lazio', 'Europe/Rome', 10, ['it-IT'], ['001##']),
    city('Milano', 'Lombardia', 'Europe/Rome', 9, ['it-IT'], ['201##']),
    city('Napoli', 'Campania', 'Europe/Rome', 5, ['it-IT'], ['801##']),
    city('Torino', 'Piemonte', 'Europe/Rome', 5, ['it-IT'], ['101##']),
    city('Palermo', 'Sicilia', 'Europe/Rome', 3, ['it-IT'], ['901##']),
    city('Bologna', 'Emilia-Romagna', 'Europe/Rome', 3, ['it-IT'], ['401##']),
    city('Firenze', 'Toscana', 'Europe/Rome', 3, ['it-IT'], ['501##']),
    city('Genova', 'Liguria', 'Europe/Rome', 2, ['it-IT'], ['161##']),
  ]),
  country('GB', 10, 'GBP', 0.87, '44', ['71', '73', '74', '75', '78'], 8, [
    city('London', 'England', 'Europe/London', 16, ['en-GB'], ['SW1A #@@', 'EC1A #@@', 'N1 #@@', 'E2 #@@', 'SE1 #@@', 'W1D #@@', 'NW1 #@@']),
    city('Manchester', 'England', 'Europe/London', 5, ['en-GB'], ['M1 #@@', 'M4 #@@', 'M14 #@@', 'M20 #@@']),
    city('Birmingham', 'England', 'Europe/London', 5, ['en-GB'], ['B1 #@@', 'B5 #@@', 'B15 #@@']),
    city('Leeds', 'England', 'Europe/London', 3, ['en-GB'], ['LS1 #@@', 'LS2 #@@', 'LS6 #@@']),
    city('Bristol', 'England', 'Europe/London', 3, ['en-GB'], ['BS1 #@@', 'BS2 #@@', 'BS8 #@@']),
    city('Glasgow', 'Scotland', 'Europe/London', 3, ['en-GB'], ['G1 #@@', 'G3 #@@', 'G12 #@@']),
    city('Edinburgh', 'Scotland', 'Europe/London', 3, ['en-GB'], ['EH1 #@@', 'EH3 #@@', 'EH6 #@@']),
    city('Cardiff', 'Wales', 'Europe/London', 2, ['en-GB'], ['CF10 #@@', 'CF11 #@@', 'CF24 #@@']),
    city('Belfast', 'Northern Ireland', 'Europe/London', 2, ['en-GB'], ['BT1 #@@', 'BT7 #@@', 'BT9 #@@']),
  ]),
  country('US', 10, 'USD', 1.1, '1', [], 7, [
    city('New York', 'New York', 'America/New_York', 12, ['en-US', 'en-US', 'en-US', 'es-US'], ['100##', '112##'], ['212', '646', '917', '718']),
    city('Boston', 'Massachusetts', 'America/New_York', 3, ['en-US'], ['021##'], ['617']),
    city('Miami', 'Florida', 'America/New_York', 4, ['en-US', 'es-US'], ['331##'], ['305', '786']),
    city('Atlanta', 'Georgia', 'America/New_York', 3, ['en-US'], ['303##'], ['404']),
    city('Philadelphia', 'Pennsylvania', 'America/New_York', 3, ['en-US'], ['191##'], ['215']),
    city('Chicago', 'Illinois', 'America/Chicago', 7, ['en-US'], ['606##'], ['312', '773']),
    city('Houston', 'Texas', 'America/Chicago', 5, ['en-US', 'en-US', 'es-US'], ['770##'], ['713', '832']),
    city('Dallas', 'Texas', 'America/Chicago', 4, ['en-US', 'en-US', 'es-US'], ['752##'], ['214', '469']),
    city('Denver', 'Colorado', 'America/Denver', 3, ['en-US'], ['802##'], ['303', '720']),
    city('Phoenix', 'Arizona', 'America/Phoenix', 4, ['en-US', 'es-US'], ['850##'], ['602', '480']),
    city('Los Angeles', 'California', 'America/Los_Angeles', 10, ['en-US', 'en-US', 'es-US'], ['900##'], ['213', '310', '323']),
    city('San Francisco', 'California', 'America/Los_Angeles', 4, ['en-US'], ['941##'], ['415', '628']),
    city('Seattle', 'Washington', 'America/Los_Angeles', 3, ['en-US'], ['981##'], ['206', '253']),
    city('Portland', 'Oregon', 'America/Los_Angeles', 2, ['en-US'], ['972##'], ['503']),
    city('Las Vegas', 'Nevada', 'America/Los_Angeles', 2, ['en-US'], ['891##'], ['702']),
  ]),
  country('CA', 4, 'CAD', 1.5, '1', [], 7, [
    city('Toronto', 'Ontario', 'America/Toronto', 10, ['en-CA'], ['M5V #@#', 'M4W #@#', 'M6J #@#'], ['416', '647', '437']),
    city('Ottawa', 'Ontario', 'America/Toronto', 3, ['en-CA', 'en-CA', 'fr-CA'], ['K1P #@#', 'K2P #@#'], ['613']),
    city('Montréal', 'Québec', 'America/Toronto', 8, ['fr-CA', 'fr-CA', 'en-CA'], ['H2X #@#', 'H3B #@#', 'H2J #@#'], ['514', '438']),
    city('Québec', 'Québec', 'America/Toronto', 2, ['fr-CA'], ['G1R #@#', 'G1K #@#'], ['418']),
    city('Vancouver', 'British Columbia', 'America/Vancouver', 6, ['en-CA'], ['V6B #@#', 'V5K #@#'], ['604', '778']),
    city('Calgary', 'Alberta', 'America/Edmonton', 4, ['en-CA'], ['T2P #@#', 'T3A #@#'], ['403', '587']),
    city('Edmonton', 'Alberta', 'America/Edmonton', 3, ['en-CA'], ['T5J #@#', 'T6E #@#'], ['780']),
    city('Winnipeg', 'Manitoba', 'America/Winnipeg', 2, ['en-CA'], ['R3C #@#', 'R2M #@#'], ['204', '431']),
    city('Halifax', 'Nova Scotia', 'America/Halifax', 2, ['en-CA'], ['B3H #@#', 'B3K #@#'], ['902', '782']),
  ]),
];
/** Country weights for `Random#weighted` over {@link COUNTRIES}. */
export const COUNTRY_CUMULATIVE = cumulative(COUNTRIES.map((c) => c.weight));

/** NANP exchange codes a real number may use: 200-999 without N11 service codes and 555. */
export const NANP_EXCHANGES = Array.from({ length: 800 }, (_, i) => String(200 + i)).filter((x) => !x.endsWith('11') && x !== '555');

