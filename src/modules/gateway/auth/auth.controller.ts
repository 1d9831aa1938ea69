import { NoRequestBody } from '../../../common/http/no-request-body.decorator';
import { Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../../common/http/public.decorator';
import { CurrentPrincipal } from './auth.decorators';
import { LoginDto, RefreshDto, TokenPairDto } from './auth.dto';
import { AuthService, TokenPair } from './auth.service';
import { Principal } from './principal';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Log in with email and password: an access token and a refresh token.' })
  @ApiOkResponse({ type: TokenPairDto })
  login(@Body() body: LoginDto, @Req() request: FastifyRequest): Promise<TokenPair> {
    return this.auth.login(body.email, body.password, request.ip);
  }

  @Post('refresh')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Trade a refresh token for a new pair (the old refresh token stops working).',
  })
  @ApiOkResponse({ type: TokenPairDto })
  refresh(@Body() body: RefreshDto): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('logout')
  @NoRequestBody()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this login session: its access and refresh tokens stop working.' })
  @ApiNoContentResponse()
  logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.auth.logout(principal);
  }
}
