import { html } from '../../../src/http/html';

describe('html template tag', () => {
  it('escapes interpolated text and keeps nested html', () => {
    const name = `<script>alert("x")</script>&'`;
    expect(html`<td title="${name}">${name}</td>`.text).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td>',
    );
    const items = ['a<', 'b'].map((item) => html`<li>${item}</li>`);
    // prettier-ignore
    expect(html`<ul>${items}</ul>`.text).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(html`${null}${undefined}${0}`.text).toBe('0');
  });
});

describe('html escaping of control and bidi characters', () => {
  it('shows C0, C1 and bidi characters from stored text as visible escapes, not as reordering or terminal codes', () => {
    expect(html`<td>${'inv\u202egnp.exe'}</td>`.text).toBe('<td>inv\\u202egnp.exe</td>');
    expect(html`<td>${'ref\u009b31m\u001b'}</td>`.text).toBe('<td>ref\\u009b31m\\u001b</td>');
  });

  it('shows invisible characters and lone surrogates as visible escapes: INV-1 and INV-1 + U+200B do not look alike', () => {
    const refs = ['INV-1\u200b', 'INV-1'].map((ref) => html`<td>${ref}</td>`);
    // prettier-ignore
    expect(html`<tr>${refs}</tr>`.text).toBe('<tr><td>INV-1\\u200b</td><td>INV-1</td></tr>');
    expect(html`<td>${'\ufeffa\u00adb\u2060c\u{e0041}d\ud800'}</td>`.text).toBe('<td>\\ufeffa\\u00adb\\u2060c\\u{e0041}d\\ud800</td>');
  });
});
