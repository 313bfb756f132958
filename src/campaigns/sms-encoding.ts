import { SegmentedMessage } from 'sms-segments-calculator';

/*
 * How an SMS body goes over the air, computed by Twilio's own segment calculator (sms-segments-calculator,
 * the library behind Twilio's public calculator; Twilio is our SMS transport, so its counts are what we
 * are billed). Its rules, checked by test/campaigns/sms-encoding.test.ts:
 *
 * - GSM-7 when every character is in the GSM 03.38 (3GPP TS 23.038) default alphabet or its extension
 *   table; characters of the extension table (| ^ € { } [ ] ~ \ and form feed) take 2 septets (escape +
 *   code). Anything else, including ç (only Ç is in the basic set), makes the whole message UCS-2.
 * - One part holds 160 septets or 70 UCS-2 code units; a longer message is split into parts of 153 / 67,
 *   the 6-octet concatenation header taking the rest. An escape pair, a surrogate pair (emoji) or any
 *   other multi-unit character is never split across two parts, so a part may carry fewer.
 */

export type SmsEncoding = 'GSM_7' | 'UCS_2';

export interface SmsDescription {
  /** Characters as a reader counts them (grapheme clusters: 👍🏽 is one, € is one). */
  characters: number;
  encoding: SmsEncoding;
  /** Parts (segments) the message is sent and billed as; 0 for an empty body. */
  parts: number;
}

// Grapheme clusters per Unicode UAX #29 ("user-perceived characters"), as built into Node.
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function countCharacters(text: string): number {
  let count = 0;
  for (const _ of graphemes.segment(text)) count++;
  return count;
}

/** Encoding, number of parts and visible length of an SMS body, as sent. */
export function describeSms(text: string): SmsDescription {
  const message = new SegmentedMessage(text);
  return {
    characters: countCharacters(text),
    encoding: message.encodingName === 'GSM-7' ? 'GSM_7' : 'UCS_2',
    parts: text === '' ? 0 : message.segmentsCount,
  };
}
