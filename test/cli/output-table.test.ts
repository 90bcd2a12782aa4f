import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boldCell, cell, cellLines, renderHorizontalTable, renderTable, renderVerticalTable } from '../../src/cli/output/table.js';
import { displayWidth } from '../../src/cli/output/display-width.js';
import { paint } from '../../src/cli/output/ansi.js';

test('horizontal table: header rule, no rules between rows, closing rule', () => {
  const text = renderHorizontalTable(
    [boldCell('ID'), boldCell('Name')],
    [
      [cell(1, { alignRight: true }), cell('ls')],
      [cell(10, { alignRight: true }), cell('a longer name')],
    ],
    false,
  );
  assert.equal(
    text,
    [
      '+----+---------------+',
      '| ID | Name          |',
      '+----+---------------+',
      '|  1 | ls            |',
      '| 10 | a longer name |',
      '+----+---------------+',
      '',
    ].join('\n'),
  );
});

test('horizontal table without rows has no closing rule', () => {
  assert.equal(
    renderHorizontalTable([boldCell('ID'), boldCell('State')], [], false),
    '+----+-------+\n| ID | State |\n+----+-------+\n',
  );
});

test('vertical table: multi-line values make the row taller', () => {
  const text = renderVerticalTable(
    [
      ['Name', 'job'],
      ['Environment', 'A=1\nLONGER=2\n'],
      ['Empty', ''],
    ],
    false,
  );
  assert.equal(
    text,
    [
      '+-------------+----------+',
      '| Name        | job      |',
      '| Environment | A=1      |',
      '|             | LONGER=2 |',
      '| Empty       |          |',
      '+-------------+----------+',
      '',
    ].join('\n'),
  );
});

test('columns are sized by display width: wide characters and colour codes', () => {
  const colored = paint('OK', { color: 'green' }, true);
  const text = renderTable([[cell('日本'), cell(colored)], [cell('ab'), cell('long')]], { colors: false });
  assert.equal(
    text,
    ['+------+------+', '| 日本 | ' + colored + '   |', '| ab   | long |', '+------+------+', ''].join('\n'),
  );
});

test('styles are painted only when colours are on', () => {
  const rows = [[cell('RUNNING', { color: 'yellow', bold: true })]];
  const plain = renderTable(rows, { header: [boldCell('State')], colors: false });
  assert.ok(!plain.includes('\x1b'));
  const painted = renderTable(rows, { header: [boldCell('State')], colors: true });
  assert.ok(painted.includes('\x1b[1mState  \x1b[0m'));
  assert.ok(painted.includes('\x1b[1;33mRUNNING\x1b[0m'));
  // Borders keep their width: the escape codes take no columns.
  assert.equal(painted.split('\n')[0], '+---------+');
});

test('cell lines follow line-iterator rules', () => {
  assert.deepEqual(cellLines(''), []);
  assert.deepEqual(cellLines('a\n'), ['a']);
  assert.deepEqual(cellLines('a\r\nb'), ['a', 'b']);
  assert.deepEqual(cellLines('a\n\nb'), ['a', '', 'b']);
});

test('display width', () => {
  assert.equal(displayWidth('abc'), 3);
  assert.equal(displayWidth('日本語'), 6);
  assert.equal(displayWidth('e\u0301'), 1);
  assert.equal(displayWidth('\x1b[1;31mred\x1b[0m'), 3);
  assert.equal(displayWidth('…'), 1);
  assert.equal(displayWidth('🚀'), 2);
});
