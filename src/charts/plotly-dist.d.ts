// plotly.js-dist-min ships no types; `IPlotly` in plotly.ts types what is used.
declare module 'plotly.js-dist-min';
