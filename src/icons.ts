import { LabIcon } from '@jupyterlab/ui-components';
import tracksideSvgstr from '../style/icons/trackside.svg';

/**
 * The Trackside icon (a line chart), themed through `jp-icon3`.
 */
export const tracksideIcon = new LabIcon({
  name: 'jupyterlab-trackside:trackside',
  svgstr: tracksideSvgstr
});
