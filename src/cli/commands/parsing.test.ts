import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { parseChannelSpec } from './channel-specs.js';
import { parseDuration } from './ingest-key.js';

const fields = (text: string) => parseCsv(text).map((row) => row.fields);

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF, and a byte-order mark', () => {
    expect(fields('\ufeffnumber,name\r\nS1,"Bleed, main"\r\nS2,"say ""hi"""\nS3,"two\nlines"\n')).toStrictEqual([
      ['number', 'name'],
      ['S1', 'Bleed, main'],
      ['S2', 'say "hi"'],
      ['S3', 'two\nlines'],
    ]);
    expect(fields('a,,c\n,\n"",x')).toStrictEqual([['a', '', 'c'], ['', ''], ['', 'x']]);
  });

  it('skips blank lines and counts lines across quoted line breaks', () => {
    expect(parseCsv('a,b\n\n"x\ny",z\n\nlast,row')).toStrictEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['x\ny', 'z'] },
      { line: 6, fields: ['last', 'row'] },
    ]);
  });

  it('refuses what it would have to guess at', () => {
    expect(() => parseCsv('a,b\nx,y"z"')).toThrow('line 2: a quote inside an unquoted field');
    expect(() => parseCsv('a,"b"c')).toThrow('line 1: text after a closing quote');
    expect(() => parseCsv('a\n"open,\nstill open')).toThrow('line 2: a quoted field is never closed');
  });
});

describe('command-line values', () => {
  it('reads channel specs, leaving out what is empty', () => {
    expect(parseChannelSpec('S11:conductivity:µS/cm:Conductivity:Cooling Tower 1')).toStrictEqual({
      number: 'S11',
      type: 'conductivity',
      unit: 'µS/cm',
      name: 'Conductivity',
      process: 'Cooling Tower 1',
    });
    expect(parseChannelSpec('R1:relay::Bleed')).toStrictEqual({ number: 'R1', type: 'relay', name: 'Bleed' });
    expect(parseChannelSpec('S2:ph')).toStrictEqual({ number: 'S2', type: 'ph' });
    for (const bad of ['S2', ':ph', 'S2:', 'a:b:c:d:e:f']) expect(() => parseChannelSpec(bad)).toThrow('is not number:type[:unit[:name[:process]]]');
  });

  it('reads durations', () => {
    expect(['0', '90s', '30m', '24h', '7d', '1.5h'].map((d) => parseDuration(d, '--overlap'))).toStrictEqual([0, 90_000, 1_800_000, 86_400_000, 604_800_000, 5_400_000]);
    for (const bad of ['', '5', '1x', '-1h', 'h', '1h30m']) expect(() => parseDuration(bad, '--overlap')).toThrow(`--overlap takes a duration such as 30m, 24h, 7d or 0, not "${bad}".`);
  });
});
