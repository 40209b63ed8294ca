import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { KernelLifecycles } from '../models/kernelLifecycle';
import { IKernelLifecycles } from '../tokens';

/**
 * The kernel lifecycles plugin: one kernel-lifecycle object per notebook
 * session, shared by notebook tracking and the metric stream.
 */
export const kernelLifecyclesPlugin: JupyterFrontEndPlugin<IKernelLifecycles> =
  {
    id: 'jupyterlab-trackside:kernel-lifecycles',
    description:
      'Provides one kernel-lifecycle object per notebook session (start, restart, kernel switch).',
    autoStart: true,
    provides: IKernelLifecycles,
    activate: (app: JupyterFrontEnd): IKernelLifecycles =>
      new KernelLifecycles()
  };
