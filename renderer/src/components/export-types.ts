// The export requests a view hands to the Export menu (ExportMenu.tsx) and its GIF dialog
// (GifOptions.tsx): a module of its own so that the two components do not import each other.
import type { Request } from '../../../common/api';

export type ExportFormat = 'gif' | 'png' | 'svg' | 'csv';

/** What renderExport needs besides the format: the view's current settings. */
export type ExportRequest = Omit<Request<'renderExport'>, 'format'>;

/** A file a view produces by itself instead of asking the engine. */
export interface LocalExport {
  format: ExportFormat;
  make: () => { filename: string; mime: string; text: string };
}

/**
 * A yes/no setting of the exported figure the menu lets the user switch (a checkable menu item),
 * e.g. the heatmap's change-point marks; `initial` follows the view (its own toggle).
 */
export interface ExportSwitch {
  field: 'changePoints';
  label: string;
  initial: boolean;
  title?: string;
}
