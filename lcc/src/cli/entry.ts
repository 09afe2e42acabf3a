/** Entry point of the single-file agent bundle that the lifecycle configuration downloads. */
import { main } from './main';

void main(process.argv).then(code => {
  process.exitCode = code;
});
