/**
 * Reference data about people: names and street names per language, email domains, signup channels and
 * the demographic distributions (gender, household, income, occupation, loyalty tiers).
 */

import { cumulative, type Random } from './random.js';

/** Languages that have their own names and street names; other locales map to one of them. */
export type Language = 'fr' | 'nl' | 'de' | 'it' | 'es' | 'en';

/** Given names by gender, and family names, of one language. */
export interface NameSet {
  female: readonly string[];
  male: readonly string[];
  last: readonly string[];
}

/** Names by language. */
export const NAMES: Record<Language, NameSet> = {
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
/** ASCII slugs of every name in {@link NAMES}, computed once. */
export const SLUGS = new Map<string, string>();
for (const set of Object.values(NAMES)) for (const n of [...set.female, ...set.male, ...set.last]) SLUGS.set(n, slug(n));

/**
 * Reserved example domains only (RFC 2606/6761): a seeded base pointed at a real SMTP relay by mistake
 * must not mail real people.
 */
export const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example', 'inbox.example', 'post.example'];
export const EMAIL_DOMAIN_CUMULATIVE = cumulative([30, 20, 15, 15, 12, 8]);

/** A street address in the language's usual form (number first or last, street kinds). */
export const STREETS: Record<Language, (r: Random) => string> = {
  fr: (r) => `${1 + r.int(120)} ${r.pick(['rue', 'rue', 'avenue', 'boulevard', 'place', 'allée', 'chemin', 'impasse'])} ${r.pick(['de la République', 'Victor Hugo', 'Jean Jaurès', 'de la Paix', 'des Lilas', 'Pasteur', 'du Général de Gaulle', 'de la Gare', 'des Écoles', 'Voltaire', 'Émile Zola', 'du Moulin'])}`,
  nl: (r) => `${r.pick(['Kerk', 'Molen', 'School', 'Stations', 'Linde', 'Beuken', 'Hoog', 'Nieuw', 'Dorps'])}${r.pick(['straat', 'straat', 'laan', 'weg', 'plein'])} ${1 + r.int(200)}`,
  de: (r) => `${r.pick(['Haupt', 'Bahnhof', 'Schiller', 'Goethe', 'Garten', 'Kirch', 'Linden', 'Berg', 'Wald', 'Schul'])}${r.pick(['straße', 'straße', 'weg', 'allee', 'platz', 'gasse'])} ${1 + r.int(150)}`,
  it: (r) => `${r.pick(['Via', 'Via', 'Viale', 'Piazza', 'Corso'])} ${r.pick(['Roma', 'Garibaldi', 'Mazzini', 'Cavour', 'Dante Alighieri', 'Verdi', 'Marconi', 'della Repubblica', 'XX Settembre', 'Vittorio Emanuele II'])}, ${1 + r.int(180)}`,
  es: (r) => `${r.pick(['Calle', 'Calle', 'Avenida', 'Plaza', 'Paseo'])} ${r.pick(['Mayor', 'Real', 'de Alcalá', 'del Sol', 'de la Paz', 'Gran Vía', 'San Juan', 'de Cervantes', 'Nueva', 'del Carmen'])}, ${1 + r.int(150)}`,
  en: (r) => `${1 + r.int(400)} ${r.pick(['High', 'Station', 'Church', 'Victoria', 'Park', 'Oak', 'Maple', 'Main', 'Elm', 'Washington', 'Lake', 'Hill', 'Mill', 'King'])} ${r.pick(['Street', 'Road', 'Avenue', 'Lane', 'Drive', 'Close'])}`,
};

/** How customers signed up, with their weights below. */
export const SIGNUP_CHANNELS = ['WEB', 'APP', 'STORE', 'SOCIAL', 'CALL_CENTER', 'PARTNER', 'OTHER'] as const;
export const SIGNUP_CUMULATIVE = cumulative([45, 22, 20, 6, 3, 3, 1]);
/** Where each signup channel's first consent was collected. */
export const CONSENT_SOURCES: Record<(typeof SIGNUP_CHANNELS)[number], string> = {
  WEB: 'web_signup_form',
  APP: 'app_onboarding',
  STORE: 'store_checkout',
  SOCIAL: 'social_lead_ad',
  CALL_CENTER: 'call_center',
  PARTNER: 'partner_import',
  OTHER: 'import',
};

/** Gender values of the customers table, with their weights below. */
export const GENDERS = ['FEMALE', 'MALE', 'NON_BINARY', 'OTHER', 'UNDISCLOSED'] as const;
export const GENDER_CUMULATIVE = cumulative([51, 44, 1, 0.5, 3.5]);
/** Weights of household sizes 1 to 6. */
export const HOUSEHOLD_CUMULATIVE = cumulative([30, 33, 15, 14, 6, 2]);
/** Income bands, with their weights below. */
export const INCOME_BANDS = ['<20k', '20k-40k', '40k-60k', '60k-100k', '100k+'];
export const INCOME_CUMULATIVE = cumulative([18, 30, 25, 17, 10]);
/** Occupations drawn when age makes the customer neither a student nor retired. */
export const OCCUPATIONS = ['employee', 'manager', 'executive', 'self_employed', 'teacher', 'nurse', 'engineer', 'sales', 'craftsperson', 'civil_servant', 'it_professional', 'healthcare', 'homemaker', 'unemployed'];
/** Loyalty tiers by points held, highest first: the first tier whose minimum is met applies. */
export const LOYALTY_TIERS = [
  { tier: 'PLATINUM', min: 5000 },
  { tier: 'GOLD', min: 2000 },
  { tier: 'SILVER', min: 500 },
  { tier: 'BRONZE', min: 0 },
];

/** The language whose names and streets a locale uses: Catalan speakers get Spanish ones. */
export function languageOf(locale: string): Language {
  const lang = locale.slice(0, 2);
  return lang === 'ca' ? 'es' : (lang as Language);
}

