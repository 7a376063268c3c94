/// The page's one stylesheet, inline: the page must open from a file or a mail attachment with
/// nothing to fetch. Print: A4, charts never split across pages, status told by words and
/// symbols as well as colour.
enum ReportPageStyle {
    static let css = """
    :root { --ink: #1d232b; --muted: #5b6673; --line: #d5dbe2; --met: #1f6f43; --met-bg: #e3f3e9; --miss: #a12a1f; --miss-bg: #fbe5e2; --none: #56606b; --none-bg: #eceff2; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #f4f6f8; }
    main { max-width: 1000px; margin: 0 auto; padding: 28px 28px 48px; background: #fff; }
    header { border-bottom: 3px solid var(--ink); padding-bottom: 10px; margin-bottom: 18px; }
    h1 { font-size: 26px; margin: 0 0 4px; }
    h2 { font-size: 18px; margin: 28px 0 10px; break-after: avoid; page-break-after: avoid; }
    .meta { color: var(--muted); margin: 0; }
    .cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; }
    .card { border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px; padding: 10px 12px; break-inside: avoid; }
    .card.met { border-left-color: var(--met); }
    .card.not_met { border-left-color: var(--miss); border-left-style: double; }
    .card.no_data { border-left-color: var(--none); border-left-style: dotted; }
    .card .name { font-size: 13px; color: var(--muted); }
    .card .value { font-size: 28px; font-weight: 700; font-variant-numeric: tabular-nums; }
    .card .target { font-size: 13px; color: var(--muted); }
    .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; }
    .badge.met { background: var(--met-bg); color: var(--met); }
    .badge.not_met { background: var(--miss-bg); color: var(--miss); }
    .badge.no_data, .badge.no_target { background: var(--none-bg); color: var(--none); }
    figure { margin: 0 0 12px; break-inside: avoid; page-break-inside: avoid; }
    figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
    .chart { width: 100%; height: auto; display: block; }
    .chart text { font-family: inherit; fill: var(--ink); }
    .chart .label { font-size: 14px; }
    .chart .value { font-size: 13px; fill: var(--muted); }
    .chart .tick { font-size: 11px; fill: var(--muted); }
    .chart .chart-title { font-size: 14px; font-weight: 600; }
    .chart .grid { stroke: #e6eaee; stroke-width: 1; }
    .chart .axis { stroke: #555; stroke-width: 1; }
    .chart .track { fill: #f0f2f5; }
    .chart .funnel-bar { fill: #35597a; }
    .chart .target-zone { fill: #e8f4ec; }
    .chart .target-line { stroke: #1d232b; stroke-width: 1.5; stroke-dasharray: 6 4; }
    .chart .target-label { font-size: 11px; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
    .chart .rate-line { fill: none; stroke: #35597a; stroke-width: 2.2; }
    .chart .rate-dot { fill: #35597a; stroke: #fff; stroke-width: 1; }
    .chart .no-data { font-size: 14px; fill: var(--muted); }
    .smalls { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; }
    .smalls figure { border: 1px solid var(--line); border-radius: 6px; padding: 4px; }
    .tables { display: grid; grid-template-columns: 1fr 1fr; gap: 0 24px; align-items: start; }
    table { border-collapse: collapse; width: 100%; margin: 0 0 14px; font-size: 14px; font-variant-numeric: tabular-nums; }
    caption { text-align: left; font-weight: 600; padding: 4px 0; }
    th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
    thead th { background: #f0f2f5; font-weight: 600; }
    tbody th { font-weight: 500; }
    td.num, th.num { text-align: right; }
    tr { break-inside: avoid; page-break-inside: avoid; }
    .wrap { overflow-wrap: anywhere; }
    footer { margin-top: 24px; font-size: 12px; color: var(--muted); }
    @media (max-width: 760px) { .cards, .smalls, .tables { grid-template-columns: 1fr; } }
    @page { size: A4; margin: 12mm; }
    @media print {
      body { background: #fff; font-size: 10pt; }
      main { max-width: none; padding: 0; }
      .cards { grid-template-columns: repeat(3, 1fr); }
      .card .value { font-size: 18pt; }
      .smalls { grid-template-columns: repeat(3, 1fr); }
      .tables { grid-template-columns: 1fr 1fr; }
      table { font-size: 9pt; }
      .badge, .card, .chart { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
      section { break-inside: auto; }
      .page-break { break-before: page; page-break-before: always; }
    }
    """
}
