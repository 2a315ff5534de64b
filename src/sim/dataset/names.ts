import type { Random } from './random.js';

/**
 * Name pools. Most people have plain names; a steady minority have the names that break naive
 * code: accents, apostrophes, hyphens, particles, CJK and right-to-left scripts.
 */
const PLAIN_FIRST = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth',
  'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen',
  'Christopher', 'Lisa', 'Daniel', 'Nancy', 'Matthew', 'Betty', 'Anthony', 'Sandra', 'Mark', 'Ashley',
  'Steven', 'Emily', 'Paul', 'Michelle', 'Andrew', 'Amanda', 'Joshua', 'Melissa', 'Kevin', 'Rebecca',
  'Brian', 'Laura', 'George', 'Stephanie', 'Timothy', 'Rachel', 'Ryan', 'Nicole', 'Jacob', 'Hannah',
];
const PLAIN_LAST = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
];

interface MessyName {
  first: string;
  last: string;
  /** How the name is displayed (CJK: family name first, no space). */
  display?: string;
  /** An ASCII form for email local parts. */
  ascii: [string, string];
}

const MESSY: MessyName[] = [
  { first: 'José', last: 'Núñez', ascii: ['jose', 'nunez'] },
  { first: 'Zoë', last: 'Brontë-Hughes', ascii: ['zoe', 'bronte-hughes'] },
  { first: 'Siobhán', last: "O'Sullivan", ascii: ['siobhan', 'osullivan'] },
  { first: 'Patrick', last: "O'Brien", ascii: ['patrick', 'obrien'] },
  { first: 'Jean-Luc', last: 'Lefèvre', ascii: ['jean-luc', 'lefevre'] },
  { first: 'Łukasz', last: 'Wiśniewski', ascii: ['lukasz', 'wisniewski'] },
  { first: 'Søren', last: 'Kierkegård', ascii: ['soren', 'kierkegard'] },
  { first: 'Björn', last: 'Müller', ascii: ['bjorn', 'muller'] },
  { first: 'Ana María', last: 'de la Cruz', ascii: ['anamaria', 'delacruz'] },
  { first: 'Ludwig', last: 'van der Berg', ascii: ['ludwig', 'vanderberg'] },
  { first: 'Mary-Kate', last: "D'Angelo", ascii: ['marykate', 'dangelo'] },
  { first: 'Nguyễn', last: 'Thị Minh', ascii: ['nguyen', 'thiminh'] },
  { first: 'François', last: 'Dupré', ascii: ['francois', 'dupre'] },
  { first: 'Çağla', last: 'Öztürk', ascii: ['cagla', 'ozturk'] },
  { first: 'Renée', last: 'St. Clair', ascii: ['renee', 'stclair'] },
  { first: 'Dmitrij', last: 'Ščerbakov', ascii: ['dmitrij', 'scerbakov'] },
  { first: '伟', last: '王', display: '王伟', ascii: ['wei', 'wang'] },
  { first: '花子', last: '田中', display: '田中花子', ascii: ['hanako', 'tanaka'] },
  { first: '민준', last: '김', display: '김민준', ascii: ['minjun', 'kim'] },
  { first: '秀英', last: '李', display: '李秀英', ascii: ['xiuying', 'li'] },
  { first: 'محمد', last: 'الأحمد', ascii: ['mohammed', 'alahmad'] },
  { first: 'فاطمة', last: 'حسن', ascii: ['fatima', 'hassan'] },
  { first: 'דוד', last: 'כהן', ascii: ['david', 'cohen'] },
  { first: 'Ολυμπία', last: 'Παπαδοπούλου', ascii: ['olympia', 'papadopoulou'] },
  { first: 'Oluwaseun', last: 'Adébáyọ̀', ascii: ['oluwaseun', 'adebayo'] },
  { first: 'Hrafnhildur', last: 'Þórsdóttir', ascii: ['hrafnhildur', 'thorsdottir'] },
];

const NICKNAMES: Record<string, string> = {
  William: 'Bill', Robert: 'Bob', Elizabeth: 'Liz', Richard: 'Rick', Michael: 'Mike', Christopher: 'Chris',
  Jennifer: 'Jen', Patricia: 'Trish', Joseph: 'Joe', Anthony: 'Tony', Matthew: 'Matt', Rebecca: 'Becky',
};

export interface GeneratedName {
  FIRST_NAME: string;
  LAST_NAME: string;
  NAME_DISPLAY: string;
  PREF_FIRST_NAME: string;
  /** ASCII local part pieces for emails. */
  ascii: [string, string];
}

/** A person's name: ~15% messy, some with a preferred first name. */
export function generateName(rng: Random): GeneratedName {
  if (rng.chance(0.15)) {
    const m = rng.pick(MESSY);
    return {
      FIRST_NAME: m.first,
      LAST_NAME: m.last,
      NAME_DISPLAY: m.display ?? `${m.first} ${m.last}`,
      PREF_FIRST_NAME: '',
      ascii: m.ascii,
    };
  }
  const first = rng.pick(PLAIN_FIRST);
  const last = rng.pick(PLAIN_LAST);
  const nick = NICKNAMES[first];
  const pref = nick !== undefined && rng.chance(0.3) ? nick : '';
  return {
    FIRST_NAME: first,
    LAST_NAME: last,
    NAME_DISPLAY: `${first} ${last}`,
    PREF_FIRST_NAME: pref,
    ascii: [first.toLowerCase(), last.toLowerCase()],
  };
}

const COMPANY_WORDS_A = [
  'Acme', 'Summit', 'Harbor', 'Blue Ridge', 'Keystone', 'Pioneer', 'Granite', 'Lakeside', 'Evergreen', 'Northwind',
  'Redwood', 'Atlas', 'Beacon', 'Cascade', 'Silverline', 'Ironwood', 'Meadow', 'Orion', 'Sterling', 'Crescent',
];
const COMPANY_WORDS_B = [
  'Office Supply', 'Print & Copy', 'Catering', 'Staffing', 'IT Services', 'Consulting', 'Facilities', 'Logistics',
  'Software', 'Legal Services', 'Travel', 'Security', 'Cleaning', 'Telecom', 'Research', 'Design Studio',
  'Data Systems', 'Couriers', 'Furniture', 'Training',
];
const COMPANY_SUFFIX = ['Inc.', 'LLC', 'Corp.', 'Co.', 'Ltd.', 'LLP', 'Group', ''];
const MESSY_COMPANIES = [
  "O'Neill & Sons Catering", 'Müller Bürotechnik GmbH', 'Société Générale de Nettoyage', 'Kōbe Trading Co., Ltd.',
  '北京数据科技有限公司', 'مؤسسة النور للتجارة', 'Smith-Jones Associates', 'A&B Print (Chicago)',
  'Café Olé Coffee Service', 'Ørsted Facility Partners A/S', 'ACME  Office   Supply', 'Zürich Übersetzungen AG',
];

/** A vendor company name: mostly composed, sometimes one of the awkward ones. */
export function generateCompanyName(rng: Random): string {
  if (rng.chance(0.08)) return rng.pick(MESSY_COMPANIES);
  const suffix = rng.pick(COMPANY_SUFFIX);
  return `${rng.pick(COMPANY_WORDS_A)} ${rng.pick(COMPANY_WORDS_B)}${suffix ? ' ' + suffix : ''}`;
}

const PHONE_FORMATS: Array<readonly [(area: string, a: string, b: string, ext: string) => string, number]> = [
  [(area, a, b) => `${area}/${a}-${b}`, 4],
  [(area, a, b) => `(${area}) ${a}-${b}`, 4],
  [(area, a, b) => `${area}-${a}-${b}`, 4],
  [(area, a, b) => `${area}.${a}.${b}`, 2],
  [(area, a, b) => `${area}${a}${b}`, 2],
  [(area, a, b) => `+1 ${area} ${a} ${b}`, 2],
  [(area, a, b, ext) => `+1 (${area}) ${a}-${b} x${ext}`, 1],
  [(_area, a, b, ext) => `${a}-${b} ext. ${ext}`, 1],
  [(_area, _a, b) => `+44 20 7946 ${b}`, 1],
  [(_area, a, b) => `+81 3-${a}-${b}`, 1],
  [(_area, a, b) => `1-800-${a}-${b}`, 1],
];

/** A phone typed the way people type phones. */
export function generatePhone(rng: Random, area: string): string {
  const a = String(rng.int(200, 999));
  const b = String(rng.int(1000, 9999));
  const ext = String(rng.int(100, 999));
  return rng.weighted(PHONE_FORMATS)(area, a, b, ext);
}

const STREETS = ['Main St', 'Broadway', 'Market Street', 'Lake Shore Dr', 'Elm Ave', '5th Avenue', 'Wacker Drive', 'Park Pl', 'Rue de Rivoli', 'Königstraße'];
const CITIES: Array<[string, string, string, string]> = [
  ['New York', 'NY', '10001', 'USA'], ['Chicago', 'IL', '60601', 'USA'], ['Boston', 'MA', '02110', 'USA'],
  ['Newark', 'NJ', '07102', 'USA'], ['Evanston', 'IL', '60201', 'USA'], ['Stamford', 'CT', '06901', 'USA'],
  ['Austin', 'TX', '78701', 'USA'], ['San José', 'CA', '95113', 'USA'], ['Toronto', 'ON', 'M5H 2N2', 'CAN'],
  ['London', '', 'EC1A 1BB', 'GBR'], ['Paris', '', '75001', 'FRA'], ['München', 'BY', '80331', 'DEU'],
];

export interface GeneratedAddress {
  ADDRESS1: string;
  ADDRESS2: string;
  CITY: string;
  STATE: string;
  POSTAL: string;
  COUNTRY: string;
}

export function generateAddress(rng: Random): GeneratedAddress {
  const [city, state, postal, country] = rng.chance(0.85) ? rng.pick(CITIES.slice(0, 8)) : rng.pick(CITIES);
  return {
    ADDRESS1: `${rng.int(1, 9999)} ${rng.pick(STREETS)}`,
    ADDRESS2: rng.chance(0.3) ? rng.pick(['Suite 100', 'Floor 12', 'Unit 4B', 'Attn: Accounts Payable', 'PO Box 221']) : '',
    CITY: city,
    STATE: state,
    POSTAL: postal,
    COUNTRY: country,
  };
}
