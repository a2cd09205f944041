import { serviceMain } from '../service-kit/run-service.ts';
import { catalogService } from './config.ts';

serviceMain(catalogService);
