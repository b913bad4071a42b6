/** One record of a CSV text and the line it starts on (for messages). */
export interface CsvRow {
  line: number;
  fields: string[];
}

export class CsvError extends Error {}

/**
 * Parses CSV as RFC 4180 writes it: fields separated by commas, records by CRLF or LF; a
 * field in double quotes may hold commas, line breaks and doubled quotes (`""` is one `"`).
 * A quote inside an unquoted field, or text after a closing quote, is an error rather than a
 * guess. Blank lines are skipped; a leading byte-order mark is ignored.
 */
export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endRow = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') {
        if (ch === '\n') line++;
        field += ch;
      } else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else {
        quoted = false;
        const next = text[i + 1];
        if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') throw new CsvError(`line ${line}: text after a closing quote (a quoted field ends at a comma or the end of the line)`);
      }
    } else if (ch === '"') {
      if (field !== '') throw new CsvError(`line ${line}: a quote inside an unquoted field (quote the whole field and double the quote: "a ""b"" c")`);
      quoted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      rowLine = ++line;
    } else {
      field += ch;
    }
  }
  if (quoted) throw new CsvError(`line ${rowLine}: a quoted field is never closed`);
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}
