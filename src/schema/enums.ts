import { registerEnumType } from 'type-graphql';

/** A contact channel. Values are stored as-is in the database. */
export enum Channel {
  EMAIL = 'EMAIL',
  SMS = 'SMS',
}

export enum ConsentStatus {
  SUBSCRIBED = 'SUBSCRIBED',
  UNSUBSCRIBED = 'UNSUBSCRIBED',
  NEVER_ASKED = 'NEVER_ASKED',
}

export enum Gender {
  FEMALE = 'FEMALE',
  MALE = 'MALE',
  NON_BINARY = 'NON_BINARY',
  OTHER = 'OTHER',
  UNDISCLOSED = 'UNDISCLOSED',
}

export enum SignupChannel {
  WEB = 'WEB',
  APP = 'APP',
  STORE = 'STORE',
  CALL_CENTER = 'CALL_CENTER',
  SOCIAL = 'SOCIAL',
  PARTNER = 'PARTNER',
  OTHER = 'OTHER',
}

export enum AttributeType {
  STRING = 'STRING',
  NUMBER = 'NUMBER',
  BOOLEAN = 'BOOLEAN',
  DATE = 'DATE',
  LIST = 'LIST',
}

/** API key roles. Stored lower-case; exposed upper-case as a GraphQL enum. */
export enum Role {
  ADMIN = 'admin',
  MARKETER = 'marketer',
  ANALYST = 'analyst',
  INGEST = 'ingest',
}

registerEnumType(Channel, { name: 'Channel', description: 'A contact channel.' });
registerEnumType(ConsentStatus, {
  name: 'ConsentStatus',
  description: 'Marketing consent for one channel.',
  valuesConfig: {
    SUBSCRIBED: { description: 'The customer agreed to receive marketing on this channel.' },
    UNSUBSCRIBED: { description: 'The customer refused or withdrew consent.' },
    NEVER_ASKED: { description: 'No consent was ever recorded: marketing is not allowed.' },
  },
});
registerEnumType(Gender, { name: 'Gender', description: 'Self-declared gender (a sensitive attribute).' });
registerEnumType(SignupChannel, { name: 'SignupChannel', description: 'Where the customer signed up.' });
registerEnumType(AttributeType, { name: 'AttributeType', description: 'The JSON type of a free customer attribute.' });
registerEnumType(Role, {
  name: 'Role',
  description: 'What an API key may do.',
  valuesConfig: {
    ADMIN: { description: 'Everything, including API keys and the attribute catalogue.' },
    MARKETER: { description: 'Segments, campaigns and policies; reads customers.' },
    ANALYST: { description: 'Read-only; contact fields (email, phone, address) are masked.' },
    INGEST: { description: 'Customer data writes only (customers, consents, transactions, events).' },
  },
});
