// The title block of every chart: a bold title line and a subtitle line (run, component, block,
// step, units) with explicit line heights. Without them zrender sizes a line by the width of the
// glyph 国, which is ~4.7 px for 13 px text where no CJK font is installed (Debian's Chromium,
// @napi-rs/canvas in the exporters), and the subtitle was drawn over the title.

export const TITLE_FONT_SIZE = 13;
export const SUBTITLE_FONT_SIZE = 11;

/** Title-component style keys: spread into an echarts title next to `text`/`subtext`. */
export function titleStyle(size = TITLE_FONT_SIZE, subSize = SUBTITLE_FONT_SIZE): Record<string, unknown> {
  return {
    left: 4,
    top: 0,
    itemGap: 3,
    textStyle: { fontSize: size, fontWeight: 600, lineHeight: Math.round(size * 1.3) },
    subtextStyle: { fontSize: subSize, lineHeight: Math.round(subSize * 1.3) },
  };
}
