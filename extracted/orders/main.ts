import { serviceMain } from '../service-kit/run-service.ts';
import { ordersService } from './config.ts';

serviceMain(ordersService);
