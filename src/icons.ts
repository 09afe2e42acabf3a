import { LabIcon } from '@jupyterlab/ui-components';
import backupSvg from '../style/icons/backup.svg';

export const backupIcon = new LabIcon({
  name: 'sagemaker-studio-backup:backup',
  svgstr: backupSvg
});
