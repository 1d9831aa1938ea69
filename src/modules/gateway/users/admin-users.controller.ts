import { Body, Controller, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { RequireScopes } from '../auth/auth.decorators';
import { CreateUserDto, UserDto } from './user.dto';
import { UserService, UserView } from './user.service';

@ApiTags('admin')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequireScopes('admin')
@Controller('v1/admin/users')
export class AdminUsersController {
  constructor(private readonly users: UserService) {}

  @Post()
  @ApiOperation({ summary: 'Create a user who can log in with email and password.' })
  @ApiCreatedResponse({ type: UserDto })
  create(@Body() body: CreateUserDto): Promise<UserView> {
    return this.users.create(body.email, body.password, body.scopes);
  }
}
