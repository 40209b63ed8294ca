import { PageConfig } from '@jupyterlab/coreutils';
import {
  SUBSHELL_REQUEST_TYPES,
  untrackSubshellStatuses
} from '../stream/subshellStatuses';

describe('untrackSubshellStatuses', () => {
  afterEach(() => PageConfig.setOption('untracked_message_types', ''));

  it("adds the subshell requests to the server's list, once", () => {
    PageConfig.setOption(
      'untracked_message_types',
      JSON.stringify(['comm_info_request', 'kernel_info_request'])
    );
    untrackSubshellStatuses();
    untrackSubshellStatuses();
    expect(JSON.parse(PageConfig.getOption('untracked_message_types'))).toEqual(
      ['comm_info_request', 'kernel_info_request', ...SUBSHELL_REQUEST_TYPES]
    );
  });

  it('works without a list from the server (Notebook 7, tests)', () => {
    PageConfig.setOption('untracked_message_types', '');
    untrackSubshellStatuses();
    expect(JSON.parse(PageConfig.getOption('untracked_message_types'))).toEqual(
      [...SUBSHELL_REQUEST_TYPES]
    );
  });
});
