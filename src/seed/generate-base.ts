import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { encodeCopyRow } from '../db/copy.js';
import type { Db } from '../db/database.js';
import { conflict } from '../errors.js';
import { AttributeType } from '../schema/enums.js';

/**
 * Deterministic demo and benchmark base: customers with every kind of data the brief lists, their
 * consents and consent history, a skewed purchase history and behavioural events.
 *
 * How it stays fast and deterministic:
 * - Every customer draws from its own PRNG streams, seeded by (seed, customer number, stream). Lanes
 *   (customers, consents, consent history, transactions, events) therefore regenerate the few
 *   "core" facts they share instead of passing rows to each other, and the output does not depend on
 *   how the lanes interleave.
 * - Each lane is one connection streaming one `COPY` in one transaction, all five at once, so Node
 *   generation and PostgreSQL ingestion overlap; empty tables get their indexes built after the load
 *   (see generateBase for the measurements and the commit order).
 * - Customer ids are a block reserved up front on the identity sequence and written explicitly (COPY
 *   writes identity values as given, like `OVERRIDING SYSTEM VALUE`), so facts reference customers
 *   without reading ids back.
 * - Transaction and event counts are exact: a first pass sums every customer's weight, then counts are
 *   handed out by systematic rounding of the cumulative share.
 * - Timestamps are written at whole seconds and created_at/updated_at/recorded_at are derived from the
 *   data, never now(): same seed and `now`, same bytes (measured by the tests with md5 per table).
 */

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

/** murmur3's 32-bit finaliser: spreads neighbouring integers (customer 7, customer 8) over all bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * sfc32 ("Small Fast Chaotic", Chris Doty-Humphrey's PractRand): 128 bits of state, passes BigCrush,
 * a few nanoseconds a draw. One instance per lane is re-seeded for each customer.
 */
class Random {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 1;

  /** Seeds from (seed, customer, stream) and runs the 12 warm-up rounds the author recommends. */
  reset(seed: number, customer: number, stream: number): this {
    this.a = fmix32(seed ^ 0x9e3779b9);
    this.b = fmix32(customer + 0x632be5ab);
    this.c = fmix32(Math.imul(stream + 1, 0x85ebca77) ^ seed);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.uint32();
    return this;
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Standard normal (Box-Muller; the second value is dropped to keep the draw count fixed). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }

  /** Draws an index from cumulative weights ending in 1. */
  weighted(cumulative: Float64Array): number {
    const u = this.next();
    let i = 0;
    while (i < cumulative.length - 1 && u >= cumulative[i]) i++;
    return i;
  }
}

function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  const total = weights.reduce((s, w) => s + w, 0);
  let sum = 0;
  weights.forEach((w, i) => (out[i] = (sum += w) / total));
  out[out.length - 1] = 1;
  return out;
}

/** Independent streams of one customer: adding draws to one lane never shifts another lane's data. */
const STREAM = { core: 0, customer: 1, consents: 2, transactions: 3, events: 4 } as const;

// ---------------------------------------------------------------------------------------------
// Reference data
// ---------------------------------------------------------------------------------------------

type Language = 'fr' | 'nl' | 'de' | 'it' | 'es' | 'en';

interface CityRef {
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

interface CountryRef {
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
const COUNTRIES: readonly CountryRef[] = [
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
const COUNTRY_CUMULATIVE = cumulative(COUNTRIES.map((c) => c.weight));

/** NANP exchange codes a real number may use: 200-999 without N11 service codes and 555. */
const NANP_EXCHANGES = Array.from({ length: 800 }, (_, i) => String(200 + i)).filter((x) => !x.endsWith('11') && x !== '555');

interface NameSet {
  female: readonly string[];
  male: readonly string[];
  last: readonly string[];
}

const NAMES: Record<Language, NameSet> = {
  fr: {
    female: ['Marie', 'Camille', 'Léa', 'Manon', 'Chloé', 'Emma', 'Inès', 'Sarah', 'Julie', 'Laura', 'Céline', 'Sophie', 'Nathalie', 'Isabelle', 'Sandrine', 'Claire', 'Élodie', 'Aurélie', 'Anaïs', 'Jeanne', 'Louise', 'Alice', 'Zoé', 'Margaux', 'Pauline', 'Hélène', 'Christine', 'Brigitte', 'Monique', 'Françoise'],
    male: ['Thomas', 'Nicolas', 'Julien', 'Maxime', 'Lucas', 'Hugo', 'Louis', 'Antoine', 'Alexandre', 'Pierre', 'Jean', 'Philippe', 'François', 'Michel', 'Olivier', 'Sébastien', 'Stéphane', 'Laurent', 'David', 'Mathieu', 'Romain', 'Théo', 'Gabriel', 'Arthur', 'Raphaël', 'Benoît', 'Jérôme', 'Christophe', 'Patrick', 'Alain'],
    last: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier', 'Morel', 'Girard', 'André', 'Mercier', 'Dupont', 'Lambert', 'Bonnet', 'François', 'Martinez', 'Legrand', 'Garnier', 'Faure', 'Rousseau', 'Blanc', 'Guérin', 'Muller', 'Henry', 'Roussel', 'Perrin', 'Mathieu', 'Clément', 'Gauthier', 'Dumont', 'Lopez', 'Fontaine', 'Chevalier', 'Robin', 'Le Gall'],
  },
  nl: {
    female: ['Emma', 'Julie', 'Lotte', 'Sanne', 'Eva', 'Lisa', 'Anouk', 'Fleur', 'Lies', 'Els', 'Marieke', 'Sofie', 'Nina', 'Hanne', 'Femke', 'Ine', 'Lien', 'Noor', 'Tine', 'Evi'],
    male: ['Lucas', 'Daan', 'Jens', 'Wout', 'Pieter', 'Jan', 'Bram', 'Thijs', 'Stijn', 'Koen', 'Joris', 'Maarten', 'Tom', 'Bart', 'Sander', 'Wim', 'Dries', 'Niels', 'Seppe', 'Arne'],
    last: ['Peeters', 'Janssens', 'Maes', 'Jacobs', 'Mertens', 'Willems', 'Claes', 'Goossens', 'Wouters', 'De Smet', 'Hermans', 'Aerts', 'Van den Bossche', 'Verstraete', 'De Vos', 'Vermeulen', 'Pauwels', 'Van Damme', 'Claeys', 'Smets', 'Desmet', 'Martens', 'Coppens', 'De Backer'],
  },
  de: {
    female: ['Anna', 'Lena', 'Laura', 'Julia', 'Sarah', 'Katharina', 'Lea', 'Hannah', 'Sophie', 'Marie', 'Lisa', 'Sabine', 'Petra', 'Andrea', 'Claudia', 'Monika', 'Ursula', 'Stefanie', 'Nicole', 'Johanna', 'Mia', 'Emilia', 'Greta', 'Jana', 'Franziska'],
    male: ['Lukas', 'Leon', 'Jonas', 'Felix', 'Maximilian', 'Paul', 'Elias', 'Tim', 'Jan', 'Niklas', 'Thomas', 'Michael', 'Andreas', 'Stefan', 'Markus', 'Klaus', 'Jürgen', 'Wolfgang', 'Peter', 'Tobias', 'Florian', 'Sebastian', 'Matthias', 'Uwe', 'Dieter'],
    last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Schäfer', 'Koch', 'Bauer', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Krüger', 'Hofmann', 'Hartmann', 'Lange', 'Schmitt', 'Werner', 'Krause', 'Meier', 'Lehmann', 'Huber', 'Keller', 'Frei', 'Brunner', 'Weiß'],
  },
  it: {
    female: ['Giulia', 'Francesca', 'Sara', 'Chiara', 'Martina', 'Alessia', 'Valentina', 'Federica', 'Elena', 'Silvia', 'Laura', 'Paola', 'Anna', 'Maria', 'Giorgia', 'Sofia', 'Aurora', 'Beatrice', 'Alice', 'Roberta'],
    male: ['Marco', 'Alessandro', 'Luca', 'Andrea', 'Francesco', 'Matteo', 'Lorenzo', 'Davide', 'Simone', 'Federico', 'Giuseppe', 'Antonio', 'Giovanni', 'Roberto', 'Stefano', 'Paolo', 'Riccardo', 'Leonardo', 'Tommaso', 'Gabriele'],
    last: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno', 'Gallo', 'Conti', 'De Luca', 'Mancini', 'Costa', 'Giordano', 'Rizzo', 'Lombardi', 'Moretti', 'Barbieri', 'Fontana', 'Santoro', 'Mariani', 'Rinaldi', 'Caruso', 'Ferrara', 'Galli', 'Martini', 'Leone'],
  },
  es: {
    female: ['María', 'Lucía', 'Carmen', 'Ana', 'Laura', 'Marta', 'Paula', 'Sara', 'Elena', 'Cristina', 'Isabel', 'Sofía', 'Alba', 'Julia', 'Irene', 'Nuria', 'Raquel', 'Pilar', 'Rosa', 'Claudia'],
    male: ['Antonio', 'José', 'Manuel', 'Francisco', 'David', 'Juan', 'Javier', 'Daniel', 'Carlos', 'Alejandro', 'Miguel', 'Pablo', 'Sergio', 'Jorge', 'Alberto', 'Luis', 'Álvaro', 'Diego', 'Adrián', 'Hugo'],
    last: ['García', 'Rodríguez', 'González', 'Fernández', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Martín', 'Jiménez', 'Ruiz', 'Hernández', 'Díaz', 'Moreno', 'Muñoz', 'Álvarez', 'Romero', 'Alonso', 'Gutiérrez', 'Navarro', 'Torres', 'Domínguez', 'Vázquez', 'Ramos', 'Gil', 'Ramírez', 'Serrano', 'Blanco', 'Molina'],
  },
  en: {
    female: ['Olivia', 'Emma', 'Amelia', 'Sophia', 'Isla', 'Ava', 'Mia', 'Emily', 'Charlotte', 'Grace', 'Jessica', 'Sarah', 'Hannah', 'Lucy', 'Chloe', 'Madison', 'Ashley', 'Jennifer', 'Elizabeth', 'Megan', 'Rachel', 'Lauren', 'Abigail', 'Evelyn', 'Harper'],
    male: ['Oliver', 'George', 'Harry', 'Jack', 'Noah', 'James', 'William', 'Thomas', 'Daniel', 'Michael', 'David', 'Joseph', 'Matthew', 'Christopher', 'Andrew', 'Ryan', 'Ethan', 'Liam', 'Benjamin', 'Samuel', 'Alexander', 'Jacob', 'Tyler', 'Brandon', 'Connor'],
    last: ['Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson', 'Roberts', 'Walker', 'Wright', 'Robinson', 'Thompson', 'White', 'Hughes', 'Edwards', 'Green', 'Hall', 'Wood', 'Harris', 'Clarke', 'Jackson', 'Miller', 'Davis', 'Anderson', 'Moore', 'Martin', 'Lee', 'Clark', 'Lewis', 'Young', 'King', 'Scott', "O'Brien", 'MacDonald', 'Campbell', 'Murphy', 'Kelly'],
  },
};

/** ASCII slug of a name for email local parts: `Müller` -> `muller`, `O'Brien` -> `obrien`. */
function slug(name: string): string {
  return name
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}
const SLUGS = new Map<string, string>();
for (const set of Object.values(NAMES)) for (const n of [...set.female, ...set.male, ...set.last]) SLUGS.set(n, slug(n));

/**
 * Reserved example domains only (RFC 2606/6761): a seeded base pointed at a real SMTP relay by mistake
 * must not mail real people.
 */
const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example', 'inbox.example', 'post.example'];
const EMAIL_DOMAIN_CUMULATIVE = cumulative([30, 20, 15, 15, 12, 8]);

const STREETS: Record<Language, (r: Random) => string> = {
  fr: (r) => `${1 + r.int(120)} ${r.pick(['rue', 'rue', 'avenue', 'boulevard', 'place', 'allée', 'chemin', 'impasse'])} ${r.pick(['de la République', 'Victor Hugo', 'Jean Jaurès', 'de la Paix', 'des Lilas', 'Pasteur', 'du Général de Gaulle', 'de la Gare', 'des Écoles', 'Voltaire', 'Émile Zola', 'du Moulin'])}`,
  nl: (r) => `${r.pick(['Kerk', 'Molen', 'School', 'Stations', 'Linde', 'Beuken', 'Hoog', 'Nieuw', 'Dorps'])}${r.pick(['straat', 'straat', 'laan', 'weg', 'plein'])} ${1 + r.int(200)}`,
  de: (r) => `${r.pick(['Haupt', 'Bahnhof', 'Schiller', 'Goethe', 'Garten', 'Kirch', 'Linden', 'Berg', 'Wald', 'Schul'])}${r.pick(['straße', 'straße', 'weg', 'allee', 'platz', 'gasse'])} ${1 + r.int(150)}`,
  it: (r) => `${r.pick(['Via', 'Via', 'Viale', 'Piazza', 'Corso'])} ${r.pick(['Roma', 'Garibaldi', 'Mazzini', 'Cavour', 'Dante Alighieri', 'Verdi', 'Marconi', 'della Repubblica', 'XX Settembre', 'Vittorio Emanuele II'])}, ${1 + r.int(180)}`,
  es: (r) => `${r.pick(['Calle', 'Calle', 'Avenida', 'Plaza', 'Paseo'])} ${r.pick(['Mayor', 'Real', 'de Alcalá', 'del Sol', 'de la Paz', 'Gran Vía', 'San Juan', 'de Cervantes', 'Nueva', 'del Carmen'])}, ${1 + r.int(150)}`,
  en: (r) => `${1 + r.int(400)} ${r.pick(['High', 'Station', 'Church', 'Victoria', 'Park', 'Oak', 'Maple', 'Main', 'Elm', 'Washington', 'Lake', 'Hill', 'Mill', 'King'])} ${r.pick(['Street', 'Road', 'Avenue', 'Lane', 'Drive', 'Close'])}`,
};

const SIGNUP_CHANNELS = ['WEB', 'APP', 'STORE', 'SOCIAL', 'CALL_CENTER', 'PARTNER', 'OTHER'] as const;
const SIGNUP_CUMULATIVE = cumulative([45, 22, 20, 6, 3, 3, 1]);
/** Where each signup channel's first consent was collected. */
const CONSENT_SOURCES: Record<(typeof SIGNUP_CHANNELS)[number], string> = {
  WEB: 'web_signup_form',
  APP: 'app_onboarding',
  STORE: 'store_checkout',
  SOCIAL: 'social_lead_ad',
  CALL_CENTER: 'call_center',
  PARTNER: 'partner_import',
  OTHER: 'import',
};

const GENDERS = ['FEMALE', 'MALE', 'NON_BINARY', 'OTHER', 'UNDISCLOSED'] as const;
const GENDER_CUMULATIVE = cumulative([51, 44, 1, 0.5, 3.5]);
const HOUSEHOLD_CUMULATIVE = cumulative([30, 33, 15, 14, 6, 2]);
const INCOME_BANDS = ['<20k', '20k-40k', '40k-60k', '60k-100k', '100k+'];
const INCOME_CUMULATIVE = cumulative([18, 30, 25, 17, 10]);
const OCCUPATIONS = ['employee', 'manager', 'executive', 'self_employed', 'teacher', 'nurse', 'engineer', 'sales', 'craftsperson', 'civil_servant', 'it_professional', 'healthcare', 'homemaker', 'unemployed'];
const LOYALTY_TIERS = [
  { tier: 'PLATINUM', min: 5000 },
  { tier: 'GOLD', min: 2000 },
  { tier: 'SILVER', min: 500 },
  { tier: 'BRONZE', min: 0 },
];

interface CategoryRef {
  name: string;
  weight: number;
  /** log of the median basket in EUR, and the spread of the lognormal. */
  mu: number;
  sigma: number;
  refundRate: number;
  products: readonly string[];
}

// Refund rates average about 2.8% over the category mix (fashion returns dominate).
const CATEGORIES: readonly CategoryRef[] = [
  { name: 'groceries', weight: 25, mu: Math.log(35), sigma: 0.5, refundRate: 0.005, products: ['Weekly basket', 'Organic coffee beans', 'Olive oil', 'Fresh produce box', 'Wine selection', 'Breakfast bundle'] },
  { name: 'fashion', weight: 18, mu: Math.log(55), sigma: 0.6, refundRate: 0.07, products: ['Denim jeans', 'Linen shirt', 'Running shoes', 'Winter coat', 'Summer dress', 'Leather belt', 'Wool sweater'] },
  { name: 'beauty', weight: 10, mu: Math.log(28), sigma: 0.5, refundRate: 0.03, products: ['Face cream', 'Shampoo', 'Perfume', 'Lipstick', 'Sunscreen'] },
  { name: 'home', weight: 10, mu: Math.log(70), sigma: 0.8, refundRate: 0.03, products: ['Bed linen', 'Table lamp', 'Cookware set', 'Cushions', 'Storage boxes', 'Rug'] },
  { name: 'electronics', weight: 5, mu: Math.log(150), sigma: 0.9, refundRate: 0.04, products: ['Wireless headphones', 'Smartphone case', 'Bluetooth speaker', 'Tablet', 'Smartwatch', 'Charger'] },
  { name: 'sports', weight: 7, mu: Math.log(60), sigma: 0.7, refundRate: 0.04, products: ['Yoga mat', 'Bike helmet', 'Tennis racket', 'Hiking backpack', 'Swimsuit'] },
  { name: 'books', weight: 8, mu: Math.log(18), sigma: 0.4, refundRate: 0.01, products: ['Novel', 'Cookbook', 'Travel guide', 'Comic book', "Children's book"] },
  { name: 'music', weight: 7, mu: Math.log(12), sigma: 0.5, refundRate: 0.01, products: ['Streaming subscription', 'Vinyl record', 'Concert ticket', 'Album download'] },
  { name: 'toys', weight: 5, mu: Math.log(30), sigma: 0.6, refundRate: 0.02, products: ['Building blocks', 'Board game', 'Plush toy', 'Puzzle'] },
  { name: 'pets', weight: 5, mu: Math.log(25), sigma: 0.5, refundRate: 0.01, products: ['Dog food', 'Cat litter', 'Pet toy', 'Aquarium filter'] },
];
const CATEGORY_CUMULATIVE = cumulative(CATEGORIES.map((c) => c.weight));
/** Mean basket in EUR over the category mix (E[lognormal] = exp(mu + sigma²/2)), for loyalty balances. */
const MEAN_BASKET = CATEGORIES.reduce((s, c) => s + c.weight * Math.exp(c.mu + (c.sigma * c.sigma) / 2), 0) / CATEGORIES.reduce((s, c) => s + c.weight, 0);

const GENRES = ['pop', 'rock', 'jazz', 'classical', 'hip_hop', 'electro', 'folk', 'metal', 'reggae', 'soul'];
const INTERESTS = ['running', 'cooking', 'travel', 'gaming', 'music', 'fashion', 'gardening', 'diy', 'reading', 'cinema', 'photography', 'yoga', 'cycling', 'wine', 'tech'];
const CLOTHING_SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL'];
const CLOTHING_CUMULATIVE = cumulative([8, 22, 30, 23, 12, 5]);
const DIETS = ['omnivore', 'flexitarian', 'vegetarian', 'vegan', 'pescatarian'];
const DIET_CUMULATIVE = cumulative([60, 20, 10, 4, 6]);
const HEALTH_CONDITIONS = ['diabetes', 'coeliac_disease', 'lactose_intolerance', 'nut_allergy', 'pregnancy'];

/** One free attribute of the seeded catalogue. */
export interface SeedAttributeDefinition {
  key: string;
  type: AttributeType;
  allowedValues: readonly string[] | null;
  description: string;
  isSensitive: boolean;
}

/** The free attributes the seed defines in `attribute_definitions` before writing customers. */
export const SEED_ATTRIBUTE_DEFINITIONS: readonly SeedAttributeDefinition[] = [
  { key: 'pets_at_home', type: AttributeType.BOOLEAN, allowedValues: null, description: 'Has pets at home (zero-party, preference centre).', isSensitive: false },
  { key: 'clothing_size', type: AttributeType.STRING, allowedValues: CLOTHING_SIZES, description: 'Usual clothing size.', isSensitive: false },
  { key: 'shoe_size', type: AttributeType.NUMBER, allowedValues: null, description: 'EU shoe size.', isSensitive: false },
  { key: 'interests', type: AttributeType.LIST, allowedValues: INTERESTS, description: 'Declared interests.', isSensitive: false },
  { key: 'favourite_genre', type: AttributeType.STRING, allowedValues: null, description: 'Favourite music genre (open list).', isSensitive: false },
  { key: 'diet', type: AttributeType.STRING, allowedValues: DIETS, description: 'Eating habits, for food campaigns.', isSensitive: false },
  { key: 'wedding_anniversary', type: AttributeType.DATE, allowedValues: null, description: 'Wedding anniversary, for greetings.', isSensitive: false },
  { key: 'health_condition', type: AttributeType.STRING, allowedValues: HEALTH_CONDITIONS, description: 'Declared health condition (health data: GDPR art. 9).', isSensitive: true },
];

interface EventRef {
  name: string;
  weight: number;
  properties: (r: Random, core: CoreProfile) => string;
}

const EVENTS: readonly EventRef[] = [
  { name: 'app_opened', weight: 30, properties: (r, c) => `{"platform":"${c.mobileOs === 1 ? 'ios' : 'android'}","session_seconds":${5 + r.int(900)}}` },
  {
    name: 'added_to_cart',
    weight: 25,
    properties: (r) => {
      const cat = CATEGORIES[r.weighted(CATEGORY_CUMULATIVE)];
      return `{"category":"${cat.name}","product":"${r.pick(cat.products)}","quantity":${1 + r.int(3)}}`;
    },
  },
  { name: 'song_favourited', weight: 12, properties: (r) => `{"song_id":"s-${1 + r.int(250_000)}","genre":"${r.pick(GENRES)}"}` },
  { name: 'review_written', weight: 5, properties: (r) => `{"category":"${CATEGORIES[r.weighted(CATEGORY_CUMULATIVE)].name}","rating":${r.chance(0.7) ? 4 + r.int(2) : 1 + r.int(3)}}` },
  { name: 'support_contacted', weight: 5, properties: (r) => `{"channel":"${r.pick(['chat', 'phone', 'email'])}","topic":"${r.pick(['delivery', 'refund', 'account', 'product', 'loyalty'])}"}` },
  { name: 'item_returned', weight: 4, properties: (r) => `{"category":"${r.pick(['fashion', 'fashion', 'fashion', 'electronics', 'home', 'sports'])}","reason":"${r.pick(['size', 'damaged', 'changed_mind', 'not_as_described'])}"}` },
  { name: 'free_shipping_used', weight: 6, properties: (r) => `{"order_value":${20 + r.int(180)}}` },
  { name: 'referral_sent', weight: 2, properties: (r) => `{"channel":"${r.pick(['email', 'sms', 'whatsapp', 'link'])}"}` },
];
const EVENT_INDEX = Object.fromEntries(EVENTS.map((e, i) => [e.name, i])) as Record<string, number>;

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
const YEAR_MS = 365.2425 * DAY_MS;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
/** Day strings by day number + 40,000 (1860 onwards, before the oldest birth date): an array beats a Map here. */
const dayStrings: string[] = [];

function dayString(day: number): string {
  let s = dayStrings[day + 40_000];
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    dayStrings[day + 40_000] = s;
  }
  return s;
}

/** `YYYY-MM-DD` of an instant, in UTC. */
function formatDate(ms: number): string {
  return dayString(Math.floor(ms / DAY_MS));
}

/**
 * `YYYY-MM-DD HH:MM:SS+00` at whole seconds: about 3x cheaper than `Date#toISOString` (no Date per
 * value, the date part is cached per day), which matters at 15 million timestamps.
 */
function formatInstant(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const s = Math.floor((ms - day * DAY_MS) / 1000);
  return `${dayString(day)} ${TWO_DIGITS[(s / 3600) | 0]}:${TWO_DIGITS[((s % 3600) / 60) | 0]}:${TWO_DIGITS[s % 60]}+00`;
}

/** A whole number of cents as `123.45`. */
function formatCents(cents: number): string {
  return `${Math.floor(cents / 100)}.${TWO_DIGITS[cents % 100]}`;
}

/**
 * Moves an instant to a waking hour (07:00-23:00, uniform) of the same local day, kept inside
 * [lo, hi): purchases at 4 am local would make quiet-hours and send-time analyses look wrong.
 */
function wakingHour(ms: number, offsetMs: number, u: number, lo: number, hi: number): number {
  const localDay = Math.floor((ms + offsetMs) / DAY_MS);
  const at = localDay * DAY_MS - offsetMs + 7 * 3_600_000 + Math.floor(u * 16 * 3_600_000);
  return at < lo ? lo : at >= hi ? hi - 1000 : at;
}

const LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
function fillPattern(pattern: string, r: Random): string {
  let out = '';
  for (const ch of pattern) out += ch === '#' ? String(r.int(10)) : ch === '@' ? LETTERS[r.int(LETTERS.length)] : ch;
  return out;
}

/** External ids: `c-<seed>-<n>`, `t-<seed>-<n>`, `e-<seed>-<n>`. */
function externalId(kind: 'c' | 't' | 'e', seed: number, n: number): string {
  return `${kind}-${seed}-${n}`;
}

// ---------------------------------------------------------------------------------------------
// Customer core: the facts every lane needs, drawn from the customer's core stream
// ---------------------------------------------------------------------------------------------

/** Lifecycle the purchase history is drawn for (segments must then find these groups). */
const enum Kind {
  PROSPECT,
  ACTIVE,
  DECLINING,
  LAPSED,
}
const KIND_CUMULATIVE = cumulative([10, 68, 10, 12]);

const enum Consent {
  NONE,
  SUBSCRIBED,
  UNSUBSCRIBED,
}

/** Mutable, reused per lane: one allocation per lane instead of one per customer. */
class CoreProfile {
  country!: CountryRef;
  city!: CityRef;
  kind = Kind.ACTIVE;
  signupMs = 0;
  signupChannel = 0;
  /** 0 none, 1 iOS, 2 Android. */
  mobileOs = 0;
  isAppUser = false;
  hasEmail = true;
  hasPhone = true;
  emailConsent = Consent.NONE;
  smsConsent = Consent.NONE;
  isLoyaltyMember = false;
  isMusicFan = false;
  favouriteCategory = 0;
  spendScale = 1;
  /** Purchase window and expected purchases (rate x window): the transaction weight. */
  txStartMs = 0;
  txEndMs = 0;
  txWeight = 0;
  eventStartMs = 0;
  eventWeight = 0;

  /** Draws the core of customer `n` (1-based). The draw order is part of the output: append only. */
  fill(r: Random, seed: number, n: number, nowMs: number): this {
    r.reset(seed, n, STREAM.core);
    const country = COUNTRIES[r.weighted(COUNTRY_CUMULATIVE)];
    this.country = country;
    this.city = country.cities[r.weighted(country.cityCumulative)];
    const kind = r.weighted(KIND_CUMULATIVE) as Kind;
    this.kind = kind;

    // Signups over 3 years up to yesterday, growing: density 1 + x on [0, 1] (x = 1 is yesterday),
    // drawn by inverting its CDF. Lapsed and declining customers need a past: 400 days at least.
    const span = 3 * YEAR_MS;
    const u = r.next();
    const x = kind === Kind.LAPSED || kind === Kind.DECLINING ? u * (1 - (400 * DAY_MS) / span) : -1 + Math.sqrt(1 + 3 * u);
    const latest = nowMs - DAY_MS;
    this.signupMs = wakingHour(latest - span + x * span, this.city.offsetMs, r.next(), latest - span - DAY_MS, latest);
    this.signupChannel = r.weighted(SIGNUP_CUMULATIVE);
    const isApp = SIGNUP_CHANNELS[this.signupChannel] === 'APP';
    this.mobileOs = r.chance(isApp ? 1 : 0.9) ? (r.chance(0.45) ? 1 : 2) : 0;
    this.isAppUser = isApp || (this.mobileOs !== 0 && r.chance(0.35));
    this.hasEmail = !r.chance(isApp || SIGNUP_CHANNELS[this.signupChannel] === 'STORE' ? 0.1 : 0.02);
    this.hasPhone = r.chance(SIGNUP_CHANNELS[this.signupChannel] === 'STORE' ? 0.9 : 0.7) || !this.hasEmail;
    const ce = r.next();
    this.emailConsent = !this.hasEmail ? Consent.NONE : ce < 0.62 ? Consent.SUBSCRIBED : ce < 0.76 ? Consent.UNSUBSCRIBED : Consent.NONE;
    const cs = r.next();
    this.smsConsent = !this.hasPhone ? Consent.NONE : cs < 0.38 ? Consent.SUBSCRIBED : cs < 0.5 ? Consent.UNSUBSCRIBED : Consent.NONE;
    this.isLoyaltyMember = r.chance(0.65);
    this.isMusicFan = r.chance(0.3);
    this.favouriteCategory = r.weighted(CATEGORY_CUMULATIVE);
    this.spendScale = Math.exp(0.35 * r.normal());

    // Purchases a year: lognormal with sigma 1.2, which alone puts ~45% of purchases on the top 10%
    // of buyers; capped at 40x the median so one customer cannot swallow a small base.
    const rate = Math.min(40, Math.exp(1.2 * r.normal()));
    const twoYearsAgo = nowMs - 2 * YEAR_MS;
    this.txStartMs = Math.max(this.signupMs, twoYearsAgo);
    const lapseRoom = nowMs - 370 * DAY_MS - this.txStartMs;
    this.txEndMs = kind === Kind.LAPSED ? this.txStartMs + lapseRoom * (0.3 + 0.7 * r.next()) : nowMs - 60_000;
    const years = Math.max(0, this.txEndMs - this.txStartMs) / YEAR_MS;
    this.txWeight = kind === Kind.PROSPECT ? 0 : rate * years * (kind === Kind.DECLINING ? 1.6 : kind === Kind.LAPSED ? 0.8 : 1);

    const yearAgo = nowMs - YEAR_MS;
    this.eventStartMs = Math.max(this.signupMs, yearAgo);
    const engagement = Math.exp(0.9 * r.normal()) * (this.isAppUser ? 1.8 : 1) * (kind === Kind.LAPSED ? 0.15 : kind === Kind.PROSPECT ? 0.6 : 1);
    this.eventWeight = (engagement * (nowMs - this.eventStartMs)) / YEAR_MS;
    return this;
  }
}

/**
 * Hands out exactly `total` items over customers in proportion to their weights, in one pass, by
 * systematic rounding of the cumulative share (the same customer always gets the same count). With
 * `atLeastOne`, every customer of positive weight gets one item first, when the total allows it.
 */
class Allocator {
  private cum = 0;
  private previous = 0;
  private readonly extra: number;
  private readonly base: number;

  constructor(
    total: number,
    private readonly weightSum: number,
    positive: number,
    atLeastOne: boolean,
  ) {
    this.base = atLeastOne && total >= positive ? 1 : 0;
    this.extra = total - this.base * positive;
  }

  next(weight: number): number {
    if (weight <= 0) return 0;
    this.cum += weight;
    // The running sum reaches weightSum exactly (same additions, same order as the first pass),
    // so the last customer of positive weight takes the rounding remainder.
    const target = this.cum >= this.weightSum ? this.extra : Math.floor((this.extra * this.cum) / this.weightSum);
    const count = target - this.previous;
    this.previous = target;
    return this.base + count;
  }
}

// ---------------------------------------------------------------------------------------------
// Lanes
// ---------------------------------------------------------------------------------------------

interface Plan {
  seed: number;
  nowMs: number;
  customers: number;
  transactions: number;
  events: number;
  idBase: number;
  txWeightSum: number;
  buyers: number;
  eventWeightSum: number;
  eventPositive: number;
}

/** Counts of rows written so far, per table. */
export interface SeedCounts {
  customers: number;
  consents: number;
  consentChanges: number;
  transactions: number;
  events: number;
}

interface Lane {
  table: string;
  columns: readonly string[];
  counter: keyof SeedCounts;
  /** COPY text lines for customers `from..to` (1-based, inclusive). */
  lines(from: number, to: number): Iterable<string>;
}

const CUSTOMER_COLUMNS = [
  'id', 'external_id', 'email', 'phone', 'first_name', 'last_name', 'birth_date', 'gender', 'locale', 'time_zone',
  'street_address', 'city', 'region', 'country', 'postal_code', 'household_size', 'income_band', 'occupation',
  'signup_channel', 'signed_up_at', 'acquisition_source', 'referral_source', 'devices', 'platforms', 'loyalty_tier',
  'loyalty_points', 'preferred_channel', 'attributes', 'created_at', 'updated_at',
] as const;

function languageOf(locale: string): Language {
  const lang = locale.slice(0, 2);
  return lang === 'ca' ? 'es' : (lang as Language);
}

/**
 * Phone suffixes are an affine permutation of the customer number over the suffix space: they look
 * random, yet two customers of one country never share a number while n stays below that space
 * (10^7 for France). 7,368,787 is coprime with 10, 7 and 113, the factors of every space used here.
 */
const PHONE_MULTIPLIER = 7_368_787;

function phoneSuffix(n: number, seed: number, space: number): number {
  // Reduced first so the product stays below 2^53 (at most 10^8 x 7.4 x 10^6).
  return ((n % space) * PHONE_MULTIPLIER + ((seed * 1_000_003) % space)) % space;
}

function phoneOf(core: CoreProfile, r: Random, seed: number, n: number): string {
  const c = core.country;
  if (c.mobilePrefixes.length === 0) {
    const v = phoneSuffix(n, seed, NANP_EXCHANGES.length * 10_000);
    return `+1${r.pick(core.city.areaCodes!)}${NANP_EXCHANGES[Math.floor(v / 10_000)]}${String(v % 10_000).padStart(4, '0')}`;
  }
  const v = phoneSuffix(n, seed, 10 ** c.suffixDigits);
  return `+${c.callingCode}${r.pick(c.mobilePrefixes)}${String(v).padStart(c.suffixDigits, '0')}`;
}

function customersLane(plan: Plan): Lane {
  const core = new CoreProfile();
  const r = new Random();
  const tx = new Allocator(plan.transactions, plan.txWeightSum, plan.buyers, true);
  const { seed, nowMs } = plan;
  return {
    table: 'customers',
    columns: CUSTOMER_COLUMNS,
    counter: 'customers',
    *lines(from, to) {
      for (let n = from; n <= to; n++) {
        core.fill(r, seed, n, nowMs);
        const purchases = tx.next(core.txWeight);
        r.reset(seed, n, STREAM.customer);
        const city = core.city;
        const locale = r.pick(city.locales);
        const names = NAMES[languageOf(locale)];
        const gender = GENDERS[r.weighted(GENDER_CUMULATIVE)];
        const first = r.pick(gender === 'FEMALE' ? names.female : gender === 'MALE' ? names.male : r.chance(0.5) ? names.female : names.male);
        const last = r.pick(names.last);

        let email: string | null = null;
        const format = r.int(5);
        if (core.hasEmail) {
          const f = SLUGS.get(first)!;
          const l = SLUGS.get(last)!;
          const local = format === 0 ? `${f}.${l}` : format === 1 ? `${f}${l}` : format === 2 ? `${f[0]}${l}` : format === 3 ? `${f}_${l}` : `${l}.${f}`;
          // The customer number makes every address unique whatever the name collisions.
          email = `${local}${n}@${EMAIL_DOMAINS[r.weighted(EMAIL_DOMAIN_CUMULATIVE)]}`;
        }
        const phone = core.hasPhone ? phoneOf(core, r, seed, n) : null;

        // Ages 18-85, most between 25 and 60: a hump from the mean of two uniforms, bent to the left.
        const ageYears = 18 + 67 * Math.min(0.995, Math.max(0.005, ((r.next() + r.next()) / 2) ** 1.25));
        const birthMs = nowMs - ageYears * YEAR_MS;
        const household = 1 + r.weighted(HOUSEHOLD_CUMULATIVE);
        const income = r.chance(0.12) ? null : INCOME_BANDS[r.weighted(INCOME_CUMULATIVE)];
        const occupation = r.chance(0.1)
          ? null
          : ageYears < 23 && r.chance(0.6)
            ? 'student'
            : ageYears >= 64 && r.chance(0.8)
              ? 'retired'
              : r.pick(OCCUPATIONS);

        const channel = SIGNUP_CHANNELS[core.signupChannel];
        let acquisition: string | null;
        let referral: string | null = null;
        if (channel === 'STORE') acquisition = r.chance(0.8) ? 'in_store' : 'direct';
        else if (channel === 'PARTNER') {
          acquisition = 'partner';
          referral = r.pick(['partner_bank', 'partner_airline', 'partner_telecom']);
        } else if (channel === 'SOCIAL') {
          acquisition = 'social';
          referral = r.pick(['instagram', 'facebook', 'tiktok', 'pinterest']);
        } else {
          const a = r.next();
          if (a < 0.25) {
            acquisition = 'organic_search';
            referral = r.pick(['google', 'google', 'google', 'bing', 'qwant', 'duckduckgo']);
          } else if (a < 0.42) {
            acquisition = 'paid_search';
            referral = r.pick(['google', 'google', 'bing']);
          } else if (a < 0.55) acquisition = 'email';
          else if (a < 0.67 && n > 1) {
            // Referral programme: the referrer is an earlier customer of the same seed.
            acquisition = 'referral';
            referral = externalId('c', seed, 1 + r.int(n - 1));
          } else if (a < 0.75) {
            acquisition = 'affiliate';
            referral = r.pick(['cashback_site', 'voucher_site', 'blog']);
          } else if (a < 0.8) acquisition = 'tv_radio';
          else acquisition = 'direct';
        }

        const devices: string[] = [];
        const platforms: string[] = [];
        if (core.mobileOs !== 0) {
          devices.push('smartphone');
          platforms.push(core.mobileOs === 1 ? 'ios' : 'android');
        }
        if (r.chance(0.6)) {
          devices.push('desktop');
          const d = r.next();
          platforms.push(d < 0.7 ? 'windows' : d < 0.95 ? 'macos' : 'linux');
        }
        if (r.chance(0.25)) devices.push('tablet');
        if (r.chance(0.08)) devices.push('smart_tv');
        if (channel === 'WEB' || r.chance(0.5)) platforms.push('web');

        let tier: string | null = null;
        let points: number | null = null;
        if (core.isLoyaltyMember) {
          // About one point per EUR spent, part of it already redeemed or expired.
          points = Math.round(purchases * MEAN_BASKET * core.spendScale * (0.2 + 0.6 * r.next()));
          tier = LOYALTY_TIERS.find((t) => points! >= t.min)!.tier;
        }
        const emailOk = core.emailConsent === Consent.SUBSCRIBED;
        const smsOk = core.smsConsent === Consent.SUBSCRIBED;
        const p = r.next();
        const preferred =
          emailOk && smsOk ? (p < 0.7 ? 'EMAIL' : 'SMS')
          : emailOk ? (p < 0.9 ? 'EMAIL' : null)
          : smsOk ? (p < 0.85 ? 'SMS' : null)
          : p < 0.4 ? (email ? 'EMAIL' : 'SMS')
          : null;

        const attributes: Record<string, unknown> = {};
        if (r.chance(0.6)) attributes.pets_at_home = r.chance(0.45);
        if (r.chance(0.5)) attributes.clothing_size = CLOTHING_SIZES[r.weighted(CLOTHING_CUMULATIVE)];
        if (r.chance(0.3)) attributes.shoe_size = gender === 'MALE' ? 40 + r.int(8) : 35 + r.int(7);
        if (r.chance(0.55)) {
          const k = 1 + r.int(4);
          const picked = new Set<string>();
          if (core.isMusicFan) picked.add('music');
          while (picked.size < k) picked.add(r.pick(INTERESTS));
          attributes.interests = [...picked];
        }
        if (core.isMusicFan || r.chance(0.1)) attributes.favourite_genre = r.pick(GENRES);
        if (r.chance(0.35)) attributes.diet = DIETS[r.weighted(DIET_CUMULATIVE)];
        if (household >= 2 && ageYears > 25 && r.chance(0.08)) attributes.wedding_anniversary = formatDate(nowMs - (1 + r.next() * (ageYears - 24)) * YEAR_MS);
        // Sensitive and sparse on purpose: segment rules that touch it must be flagged, not common.
        if (r.chance(0.03)) attributes.health_condition = r.pick(HEALTH_CONDITIONS);

        const signedUpAt = formatInstant(core.signupMs);
        yield encodeCopyRow([
          plan.idBase + n,
          externalId('c', seed, n),
          email,
          phone,
          first,
          last,
          formatDate(birthMs),
          gender,
          locale,
          city.timeZone,
          STREETS[languageOf(locale)](r),
          city.name,
          city.region,
          core.country.code,
          fillPattern(r.pick(city.postal), r),
          household,
          income,
          occupation,
          channel,
          signedUpAt,
          acquisition,
          referral,
          devices,
          platforms,
          tier,
          points,
          preferred,
          attributes,
          signedUpAt,
          signedUpAt,
        ]);
      }
    },
  };
}

interface ConsentChange {
  channel: 'EMAIL' | 'SMS';
  status: 'SUBSCRIBED' | 'UNSUBSCRIBED';
  source: string;
  atMs: number;
}

/** A channel's consent history, oldest first; its last change is the current consent. */
function consentHistory(core: CoreProfile, r: Random, nowMs: number, channel: 'EMAIL' | 'SMS', state: Consent, out: ConsentChange[]): void {
  if (state === Consent.NONE) return;
  // Signups are a day old at least, so these stay strictly increasing and before now.
  const atSignup = core.signupMs + 1000 * (5 + r.int(600));
  const later = (afterMs: number) => afterMs + 1000 + Math.floor(r.next() * Math.max(0, nowMs - 120_000 - afterMs));
  const signupSource = CONSENT_SOURCES[SIGNUP_CHANNELS[core.signupChannel]];
  const optOutSource = channel === 'EMAIL' ? r.pick(['unsubscribe_link', 'unsubscribe_link', 'list_unsubscribe', 'preference_centre']) : r.pick(['sms_stop', 'sms_stop', 'preference_centre']);
  const u = r.next();
  if (state === Consent.SUBSCRIBED) {
    if (u < 0.8) out.push({ channel, status: 'SUBSCRIBED', source: signupSource, atMs: atSignup });
    else if (u < 0.95) out.push({ channel, status: 'SUBSCRIBED', source: r.pick(['checkout', 'preference_centre', 'newsletter_popup']), atMs: later(atSignup) });
    else {
      // Opted in, out, then back in again: the history shows all three.
      const out1 = later(atSignup);
      out.push({ channel, status: 'SUBSCRIBED', source: signupSource, atMs: atSignup });
      out.push({ channel, status: 'UNSUBSCRIBED', source: optOutSource, atMs: out1 });
      out.push({ channel, status: 'SUBSCRIBED', source: 'preference_centre', atMs: later(out1 + 1000) });
    }
  } else if (u < 0.7) {
    out.push({ channel, status: 'SUBSCRIBED', source: signupSource, atMs: atSignup });
    out.push({ channel, status: 'UNSUBSCRIBED', source: optOutSource, atMs: later(atSignup + 1000) });
  } else {
    out.push({ channel, status: 'UNSUBSCRIBED', source: signupSource, atMs: atSignup });
  }
}

/** Consents or their history: both lanes draw the same histories from the consent stream. */
function consentLane(plan: Plan, history: boolean): Lane {
  const core = new CoreProfile();
  const r = new Random();
  const changes: ConsentChange[] = [];
  const { seed, nowMs } = plan;
  return {
    table: history ? 'consent_changes' : 'customer_consents',
    columns: history
      ? ['customer_id', 'channel', 'status', 'source', 'changed_at', 'recorded_at', 'is_applied']
      : ['customer_id', 'channel', 'status', 'source', 'changed_at', 'recorded_at'],
    counter: history ? 'consentChanges' : 'consents',
    *lines(from, to) {
      for (let n = from; n <= to; n++) {
        core.fill(r, seed, n, nowMs);
        if (core.emailConsent === Consent.NONE && core.smsConsent === Consent.NONE) continue;
        r.reset(seed, n, STREAM.consents);
        changes.length = 0;
        consentHistory(core, r, nowMs, 'EMAIL', core.emailConsent, changes);
        const emailCount = changes.length;
        consentHistory(core, r, nowMs, 'SMS', core.smsConsent, changes);
        const id = plan.idBase + n;
        for (let i = 0; i < changes.length; i++) {
          const c = changes[i];
          const isCurrent = i === emailCount - 1 || i === changes.length - 1;
          if (!history && !isCurrent) continue;
          const at = formatInstant(c.atMs);
          yield encodeCopyRow(history ? [id, c.channel, c.status, c.source, at, at, true] : [id, c.channel, c.status, c.source, at, at]);
        }
      }
    },
  };
}

/** Ascending uniform draws in [0, 1), reusing one buffer. */
class SortedUniforms {
  private buffer = new Float64Array(64);

  draw(r: Random, k: number): Float64Array {
    if (this.buffer.length < k) this.buffer = new Float64Array(Math.max(k, this.buffer.length * 2));
    const out = this.buffer.subarray(0, k);
    for (let i = 0; i < k; i++) out[i] = r.next();
    return k > 1 ? out.sort() : out;
  }
}

function transactionsLane(plan: Plan): Lane {
  const core = new CoreProfile();
  const r = new Random();
  const tx = new Allocator(plan.transactions, plan.txWeightSum, plan.buyers, true);
  const uniforms = new SortedUniforms();
  const { seed, nowMs } = plan;
  let number = 0;
  return {
    table: 'transactions',
    columns: ['external_id', 'customer_id', 'amount', 'currency', 'occurred_at', 'category', 'product', 'channel', 'store', 'points_earned', 'points_redeemed', 'is_refunded', 'created_at', 'updated_at'],
    counter: 'transactions',
    *lines(from, to) {
      for (let n = from; n <= to; n++) {
        core.fill(r, seed, n, nowMs);
        const k = tx.next(core.txWeight);
        if (k === 0) continue;
        r.reset(seed, n, STREAM.transactions);
        const id = plan.idBase + n;
        const { currency, priceFactor } = core.country;
        const isDeclining = core.kind === Kind.DECLINING;
        const signup = SIGNUP_CHANNELS[core.signupChannel];
        const storeShare = signup === 'STORE' ? 0.6 : 0.2;
        const appShare = core.isAppUser ? 0.35 : 0;
        const span = core.txEndMs - core.txStartMs;
        const times = uniforms.draw(r, k);
        for (let i = 0; i < k; i++) {
          // Declining customers buy on a falling density 2(1 - x), and smaller baskets as time goes.
          const x = isDeclining ? 1 - Math.sqrt(1 - times[i]) : times[i];
          const at = wakingHour(core.txStartMs + x * span, core.city.offsetMs, r.next(), core.txStartMs, core.txEndMs);
          const cat = CATEGORIES[r.chance(0.4) ? core.favouriteCategory : r.weighted(CATEGORY_CUMULATIVE)];
          const trend = isDeclining ? 1.6 - 1.2 * x : 1;
          const cents = Math.max(50, Math.round(Math.exp(cat.mu + cat.sigma * r.normal()) * core.spendScale * priceFactor * trend * 100));
          const c = r.next();
          const channel = c < storeShare ? 'store' : c < storeShare + appShare ? 'app' : 'online';
          const store = channel === 'store' ? `${core.city.name} ${r.pick(['Centre', 'Centre', 'Gare', 'Nord', 'Sud'])}` : null;
          const earned = core.isLoyaltyMember ? Math.floor(cents / 100 / priceFactor) : 0;
          const redeemed = core.isLoyaltyMember && r.chance(0.05) ? r.pick([100, 200, 500]) : 0;
          const when = formatInstant(at);
          // Written as text directly: every value comes from this file and holds no tab, newline or
          // backslash, so the generic encoder's per-value escaping (a quarter of Node's time) is moot.
          const refunded = r.chance(cat.refundRate) ? 't' : 'f';
          yield `${externalId('t', seed, ++number)}\t${id}\t${formatCents(cents)}\t${currency}\t${when}\t${cat.name}\t${r.pick(cat.products)}\t${channel}\t${store ?? '\\N'}\t${earned}\t${redeemed}\t${refunded}\t${when}\t${when}\n`;
        }
      }
    },
  };
}

function eventsLane(plan: Plan): Lane {
  const core = new CoreProfile();
  const r = new Random();
  const allocator = new Allocator(plan.events, plan.eventWeightSum, plan.eventPositive, false);
  const uniforms = new SortedUniforms();
  const weights = new Float64Array(EVENTS.length);
  const { seed, nowMs } = plan;
  let number = 0;
  return {
    table: 'customer_events',
    columns: ['external_id', 'customer_id', 'name', 'properties', 'occurred_at', 'created_at'],
    counter: 'events',
    *lines(from, to) {
      for (let n = from; n <= to; n++) {
        core.fill(r, seed, n, nowMs);
        const k = allocator.next(core.eventWeight);
        if (k === 0) continue;
        r.reset(seed, n, STREAM.events);
        // The customer's own event mix: no app without the app, no returns without purchases.
        let total = 0;
        for (let j = 0; j < EVENTS.length; j++) {
          let w = EVENTS[j].weight;
          if (j === EVENT_INDEX.app_opened && !core.isAppUser) w = 0;
          if (j === EVENT_INDEX.song_favourited) w *= core.isMusicFan ? 3 : 0.1;
          if ((j === EVENT_INDEX.item_returned || j === EVENT_INDEX.free_shipping_used || j === EVENT_INDEX.review_written) && core.kind === Kind.PROSPECT) w = 0;
          weights[j] = total += w;
        }
        const id = plan.idBase + n;
        const span = nowMs - 60_000 - core.eventStartMs;
        const times = uniforms.draw(r, k);
        for (let i = 0; i < k; i++) {
          const u = r.next() * total;
          let j = 0;
          while (j < EVENTS.length - 1 && u >= weights[j]) j++;
          const event = EVENTS[j];
          const when = formatInstant(wakingHour(core.eventStartMs + times[i] * span, core.city.offsetMs, r.next(), core.eventStartMs, nowMs - 60_000));
          // Direct text, as for transactions: names, JSON properties and instants need no escaping.
          yield `${externalId('e', seed, ++number)}\t${id}\t${event.name}\t${event.properties(r, core)}\t${when}\t${when}\n`;
        }
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Orchestration
// ---------------------------------------------------------------------------------------------

/** Characters per COPY write: large enough to amortise a write, small enough to interleave five lanes. */
const COPY_CHUNK_CHARS = 256 * 1024;
/** Rows between two progress reports of a lane. */
const REPORT_EVERY = 16_384;

/**
 * COPYs text lines into `table`, joined into ~256 KB writes. Unlike piping a generator, it waits for
 * 'drain' when PostgreSQL falls behind and otherwise yields to the event loop after every write: five
 * lanes share one thread, and a lane generating in one long microtask chain would leave the others'
 * replies unread (seen: the customers lane idle in transaction for 20 s).
 */
async function streamCopy(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
  onRows: (rows: number) => void,
): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  const done = finished(stream);
  done.catch(() => undefined); // awaited below; a failure also surfaces through 'drain' or errored
  let text = '';
  let pending = 0;
  try {
    for (const line of lines) {
      text += line;
      if (text.length >= COPY_CHUNK_CHARS) {
        if (stream.errored) throw stream.errored;
        const ok = stream.write(text);
        text = '';
        if (ok) await nextTurn();
        else await once(stream, 'drain');
      }
      if (++pending === REPORT_EVERY) {
        onRows(pending);
        pending = 0;
      }
    }
    stream.end(text);
    await done;
    onRows(pending);
  } catch (err) {
    stream.destroy(err as Error);
    throw err;
  }
}

/** A promise with its settle functions, for the commit barrier between lanes. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined); // observed by the lanes; never an unhandled rejection
  return { promise, resolve, reject };
}

/** Stage of a seed run, for progress displays. */
export type SeedStage = 'loading' | 'indexing' | 'analyzing';

/** Options of {@link generateBase}. */
export interface GenerateBaseOptions {
  db: Db;
  customers: number;
  /** Total transactions (default: 10 per customer). */
  transactions?: number;
  /** Total events (default: 5 per customer). */
  events?: number;
  /** Same seed and `now`, same rows, byte for byte. External ids embed it: `c-<seed>-<n>`. */
  seed: number;
  /** Reference instant: transactions fall in the 2 years before it, events in the year before it. */
  now: Date;
  /** Empty the seeded tables (customers, consents, facts, CASCADE to anything else) and the catalogue first. */
  reset?: boolean;
  /** Called as rows are produced (every 16,384 rows of a table) and when the stage changes. */
  onProgress?: (counts: Readonly<SeedCounts>, stage: SeedStage) => void;
}

/** What {@link generateBase} wrote and how. */
export interface SeedSummary extends SeedCounts {
  attributeDefinitions: number;
  seed: number;
  now: string;
  /** Customer ids written: `firstId..firstId + customers - 1`. */
  firstId: number;
  /** Tables that were empty, so their indexes were built once after the load. */
  bulkLoadedTables: string[];
  /** True when foreign keys were not checked row by row (see generateBase). */
  skippedForeignKeyChecks: boolean;
  seconds: number;
}

export const DEFAULT_TRANSACTIONS_PER_CUSTOMER = 10;
export const DEFAULT_EVENTS_PER_CUSTOMER = 5;
const MAX_ROWS = 2_000_000_000;
const SEED_TABLES = ['customers', 'customer_consents', 'consent_changes', 'transactions', 'customer_events'];
/** One lane (connection, transaction, COPY) per seeded table. */
const LANES = SEED_TABLES.length;

function checkCount(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > MAX_ROWS) throw new RangeError(`${name} must be a whole number from 0 to ${MAX_ROWS}`);
}

/**
 * Writes a deterministic, realistic customer base: attribute catalogue, customers, consents with their
 * history, transactions and events, then ANALYZEs the tables. Refuses (CONFLICT) when rows of the same
 * seed exist, unless `reset`.
 *
 * Each table is loaded by its own connection in one transaction (one COPY), all in parallel:
 * - An empty table is bulk loaded: its indexes and key constraints are dropped and rebuilt after the
 *   COPY inside the same transaction (a crash rolls the drop back too). Measured on 1M transactions:
 *   24.8 s with indexes and foreign key maintained row by row, 6.1 s this way.
 *   Other sessions wait on those tables until the seed commits: seed a base nobody is using.
 * - Fact lanes skip per-row foreign key checks with `session_replication_role = replica` (what
 *   pg_restore does) when the role may set it and no user trigger would be skipped with them. The ids
 *   are correct by construction, and the customers lane commits only once every fact lane is ready to,
 *   so a failure anywhere rolls every table back. Otherwise fact lanes start after customers commit,
 *   and a failure in one of them leaves the customers written: rerun with `reset`.
 */
export async function generateBase(options: GenerateBaseOptions): Promise<SeedSummary> {
  const started = performance.now();
  const { db, seed, customers } = options;
  const transactions = options.transactions ?? customers * DEFAULT_TRANSACTIONS_PER_CUSTOMER;
  const events = options.events ?? customers * DEFAULT_EVENTS_PER_CUSTOMER;
  checkCount('customers', customers);
  checkCount('transactions', transactions);
  checkCount('events', events);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 2_147_483_647) throw new RangeError('seed must be a whole number from 0 to 2147483647');
  const nowMs = options.now.getTime();
  if (!Number.isFinite(nowMs)) throw new RangeError('now must be a valid date');

  // The fact tables are named: they carry no foreign key to customers, so CASCADE alone misses them.
  if (options.reset) await db.pool.query(`TRUNCATE attribute_definitions, ${SEED_TABLES.join(', ')} RESTART IDENTITY CASCADE`);
  else await refuseExistingSeed(db, seed);
  const attributeDefinitions = await ensureAttributeDefinitions(db, options.now);

  // First pass: the weight sums that make the counts exact (well under a microsecond per customer).
  const core = new CoreProfile();
  const r = new Random();
  let txWeightSum = 0;
  let buyers = 0;
  let eventWeightSum = 0;
  let eventPositive = 0;
  for (let n = 1; n <= customers; n++) {
    core.fill(r, seed, n, nowMs);
    if (core.txWeight > 0) {
      txWeightSum += core.txWeight;
      buyers++;
    }
    if (core.eventWeight > 0) {
      eventWeightSum += core.eventWeight;
      eventPositive++;
    }
  }
  if (transactions > 0 && buyers === 0) throw new RangeError('no customer of this base can buy: add customers or ask for 0 transactions');
  if (events > 0 && eventPositive === 0) throw new RangeError('no customer of this base can have events: add customers or ask for 0 events');

  const skipFkChecks = await canSkipForeignKeyChecks(db);
  const idBase = await reserveCustomerIds(db, customers);
  const plan: Plan = { seed, nowMs, customers, transactions, events, idBase, txWeightSum, buyers, eventWeightSum, eventPositive };
  const counts: SeedCounts = { customers: 0, consents: 0, consentChanges: 0, transactions: 0, events: 0 };
  const report = options.onProgress ?? (() => undefined);
  let copying = LANES;
  const stage = (): SeedStage => (copying > 0 ? 'loading' : 'indexing');
  const bulkLoadedTables: string[] = [];

  const count = (lane: Lane, rows: number) => {
    counts[lane.counter] += rows;
    report(counts, stage());
  };

  const customersCommitted = deferred();
  const factsReady: Promise<void>[] = [];
  const runLane = async (lane: Lane, isFact: boolean): Promise<void> => {
    const ready = deferred();
    if (isFact) factsReady.push(ready.promise);
    let client: pg.PoolClient | null = null;
    try {
      if (isFact && !skipFkChecks) await customersCommitted.promise;
      client = await db.pool.connect();
      await client.query('BEGIN');
      // Index builds sort in memory up to this (per lane; 64 MB by default spills a 10M-row sort).
      await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
      if (isFact && skipFkChecks) await client.query(`SET LOCAL session_replication_role = replica`);
      const rebuild = await deferIndexes(client, lane.table);
      if (rebuild) bulkLoadedTables.push(lane.table);
      await streamCopy(client, lane.table, lane.columns, lane.lines(1, customers), (rows) => count(lane, rows));
      copying--;
      report(counts, stage());
      for (const statement of rebuild ?? []) await client.query(statement);
      ready.resolve();
      if (!isFact && skipFkChecks) await Promise.all(factsReady);
      if (isFact) await customersCommitted.promise;
      await client.query('COMMIT');
      if (!isFact) customersCommitted.resolve();
    } catch (err) {
      ready.reject(err);
      if (!isFact) customersCommitted.reject(err);
      await client?.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client?.release();
    }
  };

  const lanes = [
    runLane(customersLane(plan), false),
    runLane(consentLane(plan, false), true),
    runLane(consentLane(plan, true), true),
    runLane(transactionsLane(plan), true),
    runLane(eventsLane(plan), true),
  ];
  const results = await Promise.allSettled(lanes);
  const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;

  report(counts, 'analyzing');
  await db.pool.query(`ANALYZE attribute_definitions, ${SEED_TABLES.join(', ')}`);
  return {
    ...counts,
    attributeDefinitions,
    seed,
    now: options.now.toISOString(),
    firstId: idBase + 1,
    bulkLoadedTables: SEED_TABLES.filter((t) => bulkLoadedTables.includes(t)),
    skippedForeignKeyChecks: skipFkChecks,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}

/**
 * When `table` is empty, drops its indexes, unique and primary key constraints (except those a foreign
 * key relies on, such as customers' primary key) and returns the statements that rebuild them as they
 * were; returns null when the table has rows (their indexes stay and are maintained row by row). Must
 * run inside the load's transaction: the lock keeps writers out between the check and the load.
 */
async function deferIndexes(client: pg.PoolClient, table: string): Promise<string[] | null> {
  await client.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
  const { rows: probe } = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
  if (probe.length > 0) return null;
  const { rows } = await client.query<{ index_name: string; constraint_name: string | null; index_def: string; constraint_def: string | null }>(
    `SELECT i.indexrelid::regclass::text AS index_name, quote_ident(c.conname) AS constraint_name,
            pg_get_indexdef(i.indexrelid) AS index_def, pg_get_constraintdef(c.oid) AS constraint_def
       FROM pg_index i
       LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
      WHERE i.indrelid = $1::regclass
        AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
      ORDER BY i.indexrelid`,
    [table],
  );
  const rebuild: string[] = [];
  for (const x of rows) {
    if (x.constraint_name) {
      await client.query(`ALTER TABLE ${table} DROP CONSTRAINT ${x.constraint_name}`);
      rebuild.push(`ALTER TABLE ${table} ADD CONSTRAINT ${x.constraint_name} ${x.constraint_def}`);
    } else {
      await client.query(`DROP INDEX ${x.index_name}`);
      rebuild.push(x.index_def);
    }
  }
  return rebuild;
}

/**
 * True when this role may turn per-row foreign key checks off for its session (superuser, or granted
 * SET on the parameter since PostgreSQL 15), no user-defined trigger on the seeded tables would be
 * silenced along with them, and the pool can give every lane its own connection at once.
 */
async function canSkipForeignKeyChecks(db: Db): Promise<boolean> {
  // The lanes then hold their connections until all are ready to commit: they need one each at once.
  if ((db.pool.options.max ?? 10) < LANES) return false;
  const { rows } = await db.pool.query<{ triggers: number }>(
    `SELECT count(*)::int AS triggers FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY($1::regclass[])`,
    [SEED_TABLES],
  );
  if (rows[0].triggers > 0) return false;
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL session_replication_role = replica`);
    return true;
  } catch {
    return false;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

/**
 * Refuses a seed whose external ids are already taken, before anything is written. LIKE cannot use the
 * btree under a non-C collation: one sequential scan per table, once per run.
 */
async function refuseExistingSeed(db: Db, seed: number): Promise<void> {
  for (const [table, kind] of [['customers', 'c'], ['transactions', 't'], ['customer_events', 'e']] as const) {
    const prefix = `${kind}-${seed}-`;
    const { rows } = await db.pool.query(`SELECT 1 FROM ${table} WHERE external_id LIKE $1 LIMIT 1`, [`${prefix}%`]);
    if (rows.length > 0)
      throw conflict('seed', 'SEED_EXISTS', `${table} already holds rows of seed ${seed} (external ids "${prefix}*"): choose another --seed, or --reset to start from an empty base`);
  }
}

/** The values the seed writes for its STRING and LIST attributes, open lists included. */
const WRITTEN_VALUES: Record<string, readonly string[]> = {
  clothing_size: CLOTHING_SIZES,
  interests: INTERESTS,
  favourite_genre: GENRES,
  diet: DIETS,
  health_condition: HEALTH_CONDITIONS,
};

/** Creates the seed's catalogue entries; an existing entry must accept every value the seed writes. */
async function ensureAttributeDefinitions(db: Db, now: Date): Promise<number> {
  for (const d of SEED_ATTRIBUTE_DEFINITIONS) {
    await db.pool.query(
      `INSERT INTO attribute_definitions (key, type, allowed_values, description, is_sensitive, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (key) DO NOTHING`,
      [d.key, d.type, d.allowedValues, d.description, d.isSensitive, now],
    );
  }
  const { rows } = await db.pool.query<{ key: string; type: string; allowed_values: string[] | null }>(
    `SELECT key, type, allowed_values FROM attribute_definitions WHERE key = ANY($1)`,
    [SEED_ATTRIBUTE_DEFINITIONS.map((d) => d.key)],
  );
  for (const d of SEED_ATTRIBUTE_DEFINITIONS) {
    const existing = rows.find((x) => x.key === d.key)!;
    const missing = existing.allowed_values && (WRITTEN_VALUES[d.key] ?? []).find((v) => !existing.allowed_values!.includes(v));
    if (existing.type !== d.type || missing)
      throw conflict('attributes', 'ATTRIBUTE_MISMATCH', `attribute "${d.key}" is already defined as ${existing.type}${missing ? ` without the value "${missing}"` : ''}: the seed needs ${d.type}; use --reset or rename it`);
  }
  return SEED_ATTRIBUTE_DEFINITIONS.length;
}

/**
 * Reserves `count` customer ids by moving the identity sequence past them, under a lock that holds
 * off concurrent inserts for those few statements; rows inserted later by anyone else get ids after
 * the block. Returns the id just before the block.
 */
async function reserveCustomerIds(db: Db, count: number): Promise<number> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE');
    const { rows } = await client.query<{ base: string; seq: string }>(
      `SELECT GREATEST((SELECT coalesce(max(id), 0) FROM customers), coalesce(pg_sequence_last_value(s.seq), 0))::text AS base, s.seq
         FROM (SELECT pg_get_serial_sequence('customers', 'id')::regclass AS seq) s`,
    );
    const base = Number(rows[0].base);
    if (count > 0) await client.query('SELECT setval($1::regclass, $2)', [rows[0].seq, base + count]);
    await client.query('COMMIT');
    return base;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
