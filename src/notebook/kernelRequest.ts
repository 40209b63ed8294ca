import { ISessionContext } from '@jupyterlab/apputils';
import { KernelMessage } from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';

/**
 * What a silent execution in the kernel produced.
 */
export interface IKernelAnswer {
  /**
   * Whether the code ran without an error.
   */
  readonly ok: boolean;
  /**
   * `ename: evalue` of the error, if any.
   */
  readonly error: string | null;
  /**
   * The data of every `display_data` / `execute_result` for `mimetype`.
   */
  readonly data: ReadonlyArray<JSONObject>;
}

/**
 * Run code silently (no history, no execution count) in a session's kernel.
 *
 * Resolves with `null` when there is no kernel to run it in.
 */
export async function runSilently(
  sessionContext: ISessionContext,
  code: string,
  mimetype?: string
): Promise<IKernelAnswer | null> {
  const kernel = sessionContext.session?.kernel;
  if (!kernel) {
    return null;
  }
  const data: JSONObject[] = [];
  let error: string | null = null;
  const future = kernel.requestExecute({
    code,
    silent: false,
    store_history: false,
    stop_on_error: true,
    allow_stdin: false
  });
  future.onIOPub = (msg: KernelMessage.IIOPubMessage): void => {
    if (
      mimetype &&
      (KernelMessage.isDisplayDataMsg(msg) ||
        KernelMessage.isExecuteResultMsg(msg))
    ) {
      const value = msg.content.data[mimetype];
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        data.push(value as JSONObject);
      }
    } else if (KernelMessage.isErrorMsg(msg)) {
      error = `${msg.content.ename}: ${msg.content.evalue}`;
    }
  };
  const reply = await future.done;
  const ok = reply.content.status === 'ok';
  return { ok, error: ok ? null : (error ?? reply.content.status), data };
}
