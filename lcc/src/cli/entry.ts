/** Entry point of the single-file agent bundle that the lifecycle configuration downloads. */
import { tuneAllocator } from './allocator';
import { main } from './main';

tuneAllocator();
void main(process.argv).then(code => {
  process.exitCode = code;
});
