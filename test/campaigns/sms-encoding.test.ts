import { describe, expect, test } from 'vitest';
import { describeSms } from '../../src/campaigns/sms-encoding.js';

/*
 * What a marketer is told about an SMS before sending it: encoding (GSM 03.38 or UCS-2), how many
 * parts it will be billed as, and its length as they count it.
 */

const a = (n: number) => 'a'.repeat(n);
const zh = (n: number) => 'ж'.repeat(n); // Cyrillic: not in GSM 03.38, one UTF-16 unit

describe('encoding', () => {
  test.each([
    ['plain ASCII letters and digits', 'Sale 20% off today!', 'GSM_7'],
    ['French accents of the basic set (é è à ù)', 'Été: -20% à Paris, où?', 'GSM_7'],
    ['capital Ç, which is in the basic set', 'ÇA', 'GSM_7'],
    ['small ç, which is not (only Ç is)', 'Façade', 'UCS_2'],
    ['Greek capitals of the basic set', 'ΔΦΓΛΩΠΨΣΘΞ', 'GSM_7'],
    ['£ ¥ § ¿ ¡ Ñ ü ß', '£¥§¿¡Ñüß', 'GSM_7'],
    ['the extension table', '€[]{}~^|\\', 'GSM_7'],
    ['a backtick, not in GSM 03.38', 'use `code`', 'UCS_2'],
    ['an emoji', 'Hi 😀', 'UCS_2'],
    ['Cyrillic', 'Привет', 'UCS_2'],
    ['a curly apostrophe', 'It’s here', 'UCS_2'],
  ])('%s → %s', (_name, text, encoding) => {
    expect(describeSms(text).encoding).toBe(encoding);
  });
});

describe('parts', () => {
  test.each([
    ['GSM-7, one full part', a(160), 1],
    ['GSM-7, one over', a(161), 2],
    ['GSM-7, two full parts', a(306), 2],
    ['GSM-7, one over two parts', a(307), 3],
    ['UCS-2, one full part', zh(70), 1],
    ['UCS-2, one over', zh(71), 2],
    ['UCS-2, two full parts', zh(134), 2],
    ['UCS-2, one over two parts', zh(135), 3],
    ['80 euro signs fill one part (2 septets each)', '€'.repeat(80), 1],
    ['81 euro signs do not', '€'.repeat(81), 2],
    ['159 letters and a brace take 161 septets', `${a(159)}{`, 2],
    ['é is in the basic set: 160 characters with one still fit one part', `${a(159)}é`, 1],
    ['one ç turns a 160-letter message into three UCS-2 parts', `${a(159)}ç`, 3],
    ['an emoji takes 2 UCS-2 units: 35 fill a part', '😀'.repeat(35), 1],
    ['36 emoji do not', '😀'.repeat(36), 2],
    // 152 letters leave 1 septet in the first part: the escape pair of € moves whole to the second.
    ['an escape pair is not split across parts', `${a(152)}€${a(152)}`, 3],
    // 66 letters leave 1 unit in the first part: the surrogate pair moves whole to the second.
    ['a surrogate pair is not split across parts', `${zh(66)}😀${zh(66)}`, 3],
    ['an empty body sends nothing', '', 0],
  ])('%s', (_name, text, parts) => {
    expect(describeSms(text).parts).toBe(parts);
  });
});

describe('characters', () => {
  test.each([
    ['letters', 'Hello', 5],
    ['an extension character counts once, though it takes 2 septets', '10€', 3],
    ['an emoji counts once, though it takes 2 UTF-16 units', 'Hi 😀', 4],
    ['an emoji with a skin tone counts once', '👍🏽', 1],
    ['a flag counts once', '🇫🇷', 1],
    ['an accent written as a combining mark counts once', 'e\u0301', 1],
    ['line breaks count', 'a\nb', 3],
  ])('%s', (_name, text, characters) => {
    expect(describeSms(text).characters).toBe(characters);
  });
});
