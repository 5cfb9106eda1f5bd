import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

const PROJECT_FILES_EXIST_ERROR = defineErrorMarker<ProjectFilesExistError>('ProjectFilesExistError');

/**
 * `scaffoldProject` found some of the files it would write already there and
 * wrote none (it never overwrites). `files` are their project-relative paths.
 */
export class ProjectFilesExistError extends PollinatorError {
  declare readonly name: 'ProjectFilesExistError';
  declare readonly code: 'PROJECT_FILES_EXIST';
  readonly dir: string;
  readonly files: readonly string[];

  constructor(dir: string, files: readonly string[]) {
    super('PROJECT_FILES_EXIST', `[pollinator] [spec-builder] not overwriting existing files in ${dir}: ${files.join(', ')}`, {
      details: { dir, files },
    });
    this.name = 'ProjectFilesExistError';
    this.dir = dir;
    this.files = files;
    PROJECT_FILES_EXIST_ERROR.mark(this);
  }

  /** True for a ProjectFilesExistError from any copy of this package (or realm). */
  static override isInstance(error: unknown): error is ProjectFilesExistError {
    return PROJECT_FILES_EXIST_ERROR.isMarked(error);
  }
}
