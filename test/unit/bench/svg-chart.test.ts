import { niceMax, renderChart } from '../../../bench/svg-chart';

describe('bench SVG chart', () => {
  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(120)).toBe(200);
    expect(niceMax(480)).toBe(500);
    expect(niceMax(1000)).toBe(1000);
  });

  it('draws one panel per series, a point per measurement, failed checks in red, text escaped', () => {
    const svg = renderChart(
      [
        {
          title: 'batch',
          xLabel: 'size',
          points: [
            { x: 50, y: 100, pass: true },
            { x: 200, y: 180, pass: false },
          ],
        },
        { title: 'workers <n>', xLabel: 'processes', points: [{ x: 1, y: 90, pass: true }] },
      ],
      'a & b',
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg.match(/fill="#d1242f"/g)).toHaveLength(1);
    expect(svg).toContain('workers &lt;n&gt;');
    expect(svg).toContain('a &amp; b');
    expect(svg).not.toContain('NaN');
    expect(renderChart([], 'x')).toBe(renderChart([], 'x'));
  });
});
